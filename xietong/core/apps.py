from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from xietong.core.crypto import check_data_key_configured, check_data_keys
from xietong.core.params import IdConverter

from . import mail
from .middleware import session_start


class CoreConfig(AppConfig):
    name = "xietong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Before any URLconf is read: every app's routes take their ids through <id:…>.
        register_converter(IdConverter, "id")
        user_logged_in.connect(session_start, dispatch_uid="xietong.core.session_start")
        # Shown by ``xietong check`` and at the start of ``xietong serve``.
        checks.register(mail.console_mail_in_production, checks.Tags.security)
        checks.register(check_data_keys)
        checks.register(check_data_key_configured, checks.Tags.security, deploy=True)

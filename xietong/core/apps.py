from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from .middleware import session_start


class CoreConfig(AppConfig):
    name = "xietong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        user_logged_in.connect(session_start, dispatch_uid="xietong.core.session_start")

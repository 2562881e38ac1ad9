from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from xietong.core.params import IdConverter


class CoreConfig(AppConfig):
    name = "xietong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Before any URLconf is read: every app's routes take their ids through <id:…>.
        register_converter(IdConverter, "id")

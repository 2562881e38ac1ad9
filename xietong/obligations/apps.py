from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "xietong.obligations"
    label = "obligations"
    verbose_name = _("Obligations")

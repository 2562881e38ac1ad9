from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from xietong.core.crypto import check_data_keys


class CoreConfig(AppConfig):
    name = "xietong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        checks.register(check_data_keys)

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "xietong.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Every process (pages included, not only the worker, which discovers it anyway)
        # loads the tasks module: its receiver queues a delivery run when an event commits.
        import_module(f"{self.name}.tasks")

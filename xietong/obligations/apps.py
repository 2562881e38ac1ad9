from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "xietong.obligations"
    label = "obligations"
    verbose_name = _("Obligations")

    def ready(self) -> None:
        # A coming year's holiday schedule entered in the policy app: the open deadlines it
        # touches are computed again (the policy app never imports the ledger).
        from xietong.core.events import reactions

        from . import services

        reactions.connect("calendar.schedule_entered", services.on_calendar_changed)

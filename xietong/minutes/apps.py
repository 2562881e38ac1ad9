from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "xietong.minutes"
    label = "minutes"
    verbose_name = _("Meeting minutes")

    def ready(self) -> None:
        # The minutes duty opens when the host ends the live room (in its transaction); meetings
        # held without the room are opened by minutes.tasks once their scheduled end has passed.
        from xietong.core.events import reactions

        from . import services

        reactions.connect("live.ended", services.on_live_ended)

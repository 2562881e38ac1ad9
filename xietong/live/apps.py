from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "xietong.live"
    verbose_name = _("Live meeting room")

    def ready(self) -> None:
        from xietong.meetings.hooks import actual_times

        from .selectors import room_times

        # The room's own start and end are when the meeting really ran (meetings.hooks).
        actual_times.provide(room_times)

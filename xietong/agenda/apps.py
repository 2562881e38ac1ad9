from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "xietong.agenda"
    label = "agenda"
    verbose_name = _("Agenda")

    def ready(self) -> None:
        # The agenda's part in the meeting's changes: the meeting app never imports the agenda.
        from xietong.core.events import reactions
        from xietong.meetings.hooks import agenda_outline

        from . import services

        agenda_outline.provide(services.agenda_outline)
        reactions.connect("meeting.published", services.agenda_publish_with_notice)
        reactions.connect("meeting.cancelled", services.topics_roll_over)

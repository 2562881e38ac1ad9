from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "xietong.actions"
    label = "actions"
    verbose_name = _("Action items")

    def ready(self) -> None:
        # The action items' part in the earlier stages' changes (in their transactions) and the
        # agenda's follow-up item: meetings, agenda and records never import the action items.
        from xietong.agenda.services import followup_items
        from xietong.core.events import reactions

        from . import services

        followup_items.provide(services.agenda_followup_items)
        reactions.connect("meeting.scheduled", services.on_meeting_scheduled)
        reactions.connect("decision.created", services.on_decision_created)
        reactions.connect("decision.approved", services.on_decision_approved)
        reactions.connect("record.closed", services.on_record_closed)

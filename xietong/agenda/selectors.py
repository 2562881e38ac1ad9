"""Reading agendas for the builder page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch

from xietong.core.models import Event
from xietong.topics.models import Topic, TopicAttachment

from .models import Agenda, AgendaItem
from .services import followup_items


def agenda_for_meeting(meeting) -> Agenda | None:
    return Agenda.objects.filter(meeting=meeting).first()


def agenda_items(agenda: Agenda | None) -> list[AgendaItem]:
    """The agenda's items in order, with their topic's department and materials: two queries
    (none without an agenda), however many items."""
    if agenda is None:
        return []
    return list(
        agenda.items.select_related("topic__department")
        .prefetch_related(
            Prefetch("topic__attachments", queryset=TopicAttachment.objects.only("topic_id", "name"))
        )
        .order_by("position", "id")
    )


def candidate_topics(meeting):
    """Triaged topics targeting ``meeting`` that are not on its agenda yet."""
    return list(
        Topic.objects.filter(meeting=meeting, status=Topic.Status.TRIAGED)
        .select_related("department", "author")
        .order_by(F("priority").asc(nulls_last=True), F("submitted_at").asc(nulls_last=True), "id")
    )


@dataclass(frozen=True)
class Deferral:
    topic_id: int
    title: str
    department: str
    reason: str
    at: object
    to_meeting_id: int | None


def deferred_topics(agenda: Agenda | None, *, limit: int = 100) -> list[Deferral]:
    """Topics taken off this agenda (by the cap or by the coordinator), newest first, with reasons."""
    if agenda is None:
        return []
    events = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(Agenda),
        subject_id=agenda.pk,
        name="agenda.topic_deferred",
    ).order_by("-at", "-id")[:limit]
    return [
        Deferral(
            topic_id=e.data.get("topic"),
            title=e.data.get("title", ""),
            department=e.data.get("department", ""),
            reason=e.data.get("reason", ""),
            at=e.at,
            to_meeting_id=e.data.get("to_meeting"),
        )
        for e in events
    ]


def followup_rows(meeting, kinds, *, now, calendar=None) -> list[dict]:
    """The rows shown under the agenda's "上次会议决议跟进" item (empty when ``kinds``, the
    kinds of the agenda's items, has none): each open earlier action item with owner, due
    date, overdue flag and the latest report (overdue by ``calendar``, the business calendar
    when not given). Constant queries whatever the number of items.
    """
    if AgendaItem.Kind.FOLLOW_UP not in set(kinds):
        return []
    return followup_items.call(meeting, now=now, calendar=calendar)

"""Reading agendas for the builder page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.selectors import ERR_COORDINATOR_ONLY, get_meeting_for_user
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai
from xietong.topics.models import Topic, TopicAttachment

from .models import Agenda, AgendaItem
from .services import followup_items

# What the builder shows of a meeting: its series, regulation and host.
BUILDER_RELATIONS = ("series", "policy_version__policy", "host")


def get_agenda_meeting_for_user(person, pk: int, *, now: datetime | None = None) -> Meeting:
    """Meeting ``pk`` for its agenda builder (the coordinator's page), read with BUILDER_RELATIONS:
    Forbidden for anyone else, Http404 only when there is no such meeting."""
    return get_meeting_for_user(person, pk, now=now, related=BUILDER_RELATIONS, coordinate=True)


def get_agenda_for_user(person, meeting_pk: int, *, now: datetime | None = None) -> Agenda:
    """The agenda of meeting ``meeting_pk`` for the coordinator (get_agenda_meeting_for_user);
    Http404 also when the meeting has none yet."""
    meeting = get_agenda_meeting_for_user(person, meeting_pk, now=now)
    return get_object_or_404(Agenda.objects.select_related("meeting"), meeting=meeting)


def get_agenda_item_for_user(person, pk: int, *, now: datetime | None = None) -> AgendaItem:
    """Agenda item ``pk`` with its agenda and meeting, for the coordinator's steps: Forbidden for
    anyone else, Http404 only when there is no such item."""
    item = get_object_or_404(AgendaItem.objects.select_related("agenda__meeting"), pk=pk)
    require(
        roles_of(person, on=as_shanghai(now or timezone.now()).date()).is_coordinator, ERR_COORDINATOR_ONLY
    )
    return item


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

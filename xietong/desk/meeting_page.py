"""The meeting page and its notice: the meeting's own facts (meetings) with its agenda and the
follow-up of earlier decisions under it (agenda, actions)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from xietong.agenda.models import Agenda, AgendaItem
from xietong.agenda.selectors import followup_rows
from xietong.meetings.models import Meeting
from xietong.meetings.selectors import MEETING_PAGE_RELATIONS

# What the meeting page shows of a meeting's series, host, recorder, regulation and agenda.
PAGE_RELATIONS = (*MEETING_PAGE_RELATIONS, "agenda")


def with_page_relations(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """``meetings``, each read with what its page shows (PAGE_RELATIONS): one query for a meeting."""
    return meetings.select_related(*PAGE_RELATIONS)


def agenda_of(meeting: Meeting) -> Agenda | None:
    """The agenda read with the meeting (PAGE_RELATIONS), or None: no query."""
    try:
        return meeting.agenda
    except Agenda.DoesNotExist:
        return None


def agenda_items(agenda: Agenda | None) -> list[AgendaItem]:
    """The agenda's items in order, with the name of their topic's department: one query (none
    without an agenda)."""
    if agenda is None:
        return []
    return list(
        agenda.items.select_related("topic__department")
        .only("agenda_id", "kind", "title", "position", "budget_minutes", "topic__department__name")
        .order_by("position", "id")
    )


def followup(meeting: Meeting, items: list[AgendaItem], *, now: datetime) -> list:
    """The rows under the agenda's "上次会议决议跟进" item (none without that item)."""
    return followup_rows(meeting, (item.kind for item in items), now=now)

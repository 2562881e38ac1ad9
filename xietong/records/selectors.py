"""Reading the meeting record: the meeting with its invitees, attendance and decisions, its
agenda items and what was recorded for each, and the leadership group's pending answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from xietong.agenda.models import AgendaItem
from xietong.meetings.models import Meeting, Rsvp
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Person, Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from .models import Attendance, Decision, ItemRecord


def record_meetings() -> QuerySet[Meeting]:
    """Meetings as the record page shows them: host and recorder, the invitees by name, the
    attendances and the decisions in the order they were taken, all preloaded."""
    return Meeting.objects.select_related("host", "recorder").prefetch_related(
        Prefetch(
            "rsvps",
            queryset=Rsvp.objects.select_related(
                "invitee", "delegate", "on_behalf_of", "department"
            ).order_by("department__sort_order", "invitee__full_name", "id"),
        ),
        Prefetch("attendances", queryset=Attendance.objects.select_related("person", "on_behalf_of")),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("department", "responsible", "agenda_item").order_by(
                "id"
            ),
        ),
    )


# ---- who reads and who keeps the record --------------------------------------------------------


def keeps_record(meeting: Meeting, person) -> bool:
    """The meeting's recorder and host keep its record."""
    return person.pk in (meeting.recorder_id, meeting.host_id)


def reads_record(meeting: Meeting, person, *, now: datetime) -> bool:
    """Those who keep the record, the leadership group and the coordinator read it."""
    if keeps_record(meeting, person):
        return True
    roles = roles_of(person, on=as_shanghai(now).date())
    return roles.has(Role.LEADERSHIP) or roles.is_coordinator


def _readable(meeting: Meeting, person, now: datetime) -> None:
    if not reads_record(meeting, person, now=now):
        raise Http404("record")


def get_record_meeting_for_user(
    person, pk: int, *, now: datetime | None = None, edit_refusal=None
) -> Meeting:
    """Meeting ``pk`` as its record page shows it (record_meetings), for ``person``.

    Http404 for anyone who may not read the record (reads_record). With ``edit_refusal`` (the
    refusal of the step about to be taken), Forbidden for anyone who does not keep it; Http404
    only when there is no such meeting.
    """
    meeting = get_object_or_404(record_meetings(), pk=pk)
    if edit_refusal is not None:
        require(keeps_record(meeting, person), edit_refusal)
    else:
        _readable(meeting, person, now or timezone.now())
    return meeting


def get_record_item_for_user(person, pk: int, *, now: datetime | None = None, refusal=None) -> AgendaItem:
    """Agenda item ``pk`` with its agenda and meeting, for the meeting's recorder: Forbidden
    (``refusal``) for anyone else, Http404 only when there is no such item."""
    item = get_object_or_404(items_with_meeting(), pk=pk)
    require(person.pk == item.agenda.meeting.recorder_id, refusal)
    return item


def get_decision_for_user(person, pk: int, *, now: datetime | None = None, refusal=None) -> Decision:
    """Decision ``pk`` with its meeting, for the leadership group's answer: Forbidden
    (``refusal``) for anyone else, Http404 only when there is no such decision."""
    decision = get_object_or_404(Decision.objects.select_related("meeting"), pk=pk)
    require(roles_of(person, on=as_shanghai(now or timezone.now()).date()).has(Role.LEADERSHIP), refusal)
    return decision


# ---- reading the record ----------------------------------------------------------------------


def record_items(meeting: Meeting) -> list[AgendaItem]:
    """The meeting's agenda items in agenda order."""
    return list(AgendaItem.objects.filter(agenda__meeting=meeting).order_by("position", "id"))


def record_items_by_id(meeting: Meeting) -> dict[int, AgendaItem]:
    """The meeting's agenda items by id (a decision may name one)."""
    return {i.pk: i for i in AgendaItem.objects.filter(agenda__meeting=meeting)}


def items_with_meeting() -> QuerySet[AgendaItem]:
    """Agenda items with their agenda and meeting preloaded."""
    return AgendaItem.objects.select_related("agenda__meeting")


def item_records_by_item(items: list[AgendaItem]) -> dict[int, ItemRecord]:
    """Agenda item id -> what was recorded for it (no query without items)."""
    if not items:
        return {}
    return {r.agenda_item_id: r for r in ItemRecord.objects.filter(agenda_item__in=items)}


def item_record_of(item: AgendaItem) -> ItemRecord | None:
    """What was recorded for ``item`` so far, if anything."""
    return ItemRecord.objects.filter(agenda_item=item).first()


def pending_approval_duties(decision_ids: list[int]) -> dict[int, Obligation]:
    """Decision id -> the leadership group's pending approval duty (no query without ids)."""
    if not decision_ids:
        return {}
    return {
        o.subject_id: o
        for o in Obligation.objects.filter(
            kind=ObligationKind.LEADERSHIP_APPROVAL,
            subject_type=ContentType.objects.get_for_model(Decision),
            subject_id__in=decision_ids,
            state=Obligation.State.PENDING,
        )
    }


@dataclass
class AttendanceTableRow:
    """One invitee's row of the attendance table: their reply, whoever sits in their seat
    (their own attendance or a delegate's), the table's pre-filled choice and the people
    offered as their delegate."""

    rsvp: Rsvp
    attendance: Attendance | None
    initial: dict[str, Any]
    delegates: list[tuple[int, str]]

    @property
    def unconfirmed(self) -> bool:
        """Replied 参加 (or nothing) and nobody signed in or was recorded: not "present"."""
        return self.attendance is None and not self.initial.get("status")


def _prefill(rsvp: Rsvp, seat: Attendance | None) -> dict[str, Any]:
    """What the table shows chosen: what is recorded (a sign-in included), else what the reply
    says of an absence or a named delegate. A reply to attend proves nothing: left unchosen."""
    if seat is not None:
        if seat.status == Attendance.Status.ABSENT:
            return {"status": seat.status, "reason": seat.reason}
        if seat.person_id != rsvp.invitee_id:
            return {"status": "delegate", "delegate": seat.person_id}
        return {"status": seat.status}
    if rsvp.response == Rsvp.Response.ABSENT:
        return {"status": Attendance.Status.ABSENT, "reason": rsvp.reason}
    if rsvp.response == Rsvp.Response.DELEGATE and rsvp.delegate_id:
        return {"delegate": rsvp.delegate_id}
    return {}


def attendance_table(meeting: Meeting) -> list[AttendanceTableRow]:
    """The attendance table of ``meeting`` (read with record_meetings), one row per invitee:
    one query beyond the meeting's, for the delegates offered (active people of the rows'
    departments, the named delegate and whoever already sat in the seat)."""
    rsvps = list(meeting.rsvps.all())
    seats = {a.on_behalf_of_id or a.person_id: a for a in meeting.attendances.all()}
    departments = {d for r in rsvps for d in (r.department_id, r.invitee.department_id) if d is not None}
    colleagues: dict[int, list[tuple[int, str]]] = {}
    if departments:
        people = (
            Person.objects.filter(is_active=True, department_id__in=departments)
            .order_by("full_name", "id")
            .values_list("pk", "full_name", "username", "department_id")
        )
        for pk, full_name, username, department_id in people:
            colleagues.setdefault(department_id, []).append((pk, full_name or username))
    rows = []
    for rsvp in rsvps:
        seat = seats.get(rsvp.invitee_id)
        offered: dict[int, str] = {}
        for extra in (rsvp.delegate, seat.person if seat is not None else None):
            if extra is not None:
                offered[extra.pk] = extra.get_full_name()
        for dept in (rsvp.department_id, rsvp.invitee.department_id):
            for pk, name in colleagues.get(dept, []) if dept is not None else []:
                offered.setdefault(pk, name)
        offered.pop(rsvp.invitee_id, None)
        rows.append(AttendanceTableRow(rsvp, seat, _prefill(rsvp, seat), list(offered.items())))
    return rows


def people_by_id(ids: Iterable[int]) -> dict[int, Person]:
    """The people with these ids, by id (one query)."""
    return Person.objects.in_bulk(list(ids))


def ack_duties_for_meeting(meeting: Meeting) -> list[Obligation]:
    """The DECISION_ACK duties of ``meeting`` (opened when its record closes; waived ones left
    out), by department: one query."""
    return list(
        Obligation.objects.filter(
            kind=ObligationKind.DECISION_ACK,
            subject_type=ContentType.objects.get_for_model(meeting),
            subject_id=meeting.pk,
        )
        .exclude(state=Obligation.State.WAIVED)
        .select_related("department", "responsible")
        .order_by("department__name", "id")
    )

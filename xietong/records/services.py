"""Recording a meeting: attendance, per-item notes and outcomes, decisions and their approval.

Seed 01 第五条(一)2: a decision allocating resources across departments (people, money,
equipment) takes effect only once the leadership group approves it. An effective decision
creates its action item in the same transaction: the action items react to
``decision.created`` and ``decision.approved`` (xietong/actions/apps.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.agenda.models import AgendaItem
from xietong.core import transitions
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.optlock import require_current
from xietong.core.text import clean_field
from xietong.core.transitions import Step, step
from xietong.meetings.hooks import ended_at, has_started
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.services import TRANSITIONS as MEETING_TRANSITIONS
from xietong.meetings.services import deferral_target
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close, obligation_open
from xietong.org.models import Department, LeadershipRank, Person, Role, RoleAssignment
from xietong.org.permissions import Roles, holders, roles_of
from xietong.policy.calendar import CalendarResult, as_shanghai
from xietong.policy.selectors import business_calendar
from xietong.topics.models import Topic
from xietong.topics.services import topic_defer, topic_mark_done, topic_reopen

from .models import Attendance, Decision, ItemRecord

MAX_REASON = 300
MAX_NOTES = max_length(ItemRecord, "notes")
MAX_TEXT = max_length(Decision, "text")
MAX_COMMENT = max_length(Decision, "leadership_comment")

D = Decision.Status
LEADERSHIP = "leadership"

# action -> (the states it may start from, who may take it). A decision is created EFFECTIVE, or
# AWAITING_LEADERSHIP when it allocates resources (seed 01 第五条(一)2); the leadership group
# answers it once.
DECISION_TRANSITIONS: dict[str, Step] = {
    "approve": step({D.AWAITING_LEADERSHIP}, LEADERSHIP),
    "reject": step({D.AWAITING_LEADERSHIP}, LEADERSHIP),
}


def decision_actions(decision: Decision, *, roles: Roles) -> list[str]:
    """The answers someone holding ``roles`` today may give ``decision`` now."""
    return transitions.allowed_actions(
        DECISION_TRANSITIONS, decision.status, lambda role: roles.has(Role.LEADERSHIP)
    )


# ---- helpers ------------------------------------------------------------------------------


# C0 control characters other than tab and line breaks (Word pastes \x07 cell marks and \x0b
# line breaks): invisible, and not allowed in XML, so they would break the minutes .docx.
_CONTROL: dict[int, str | None] = {
    **dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]),
    0x0B: "\n",
    0x0C: "\n",
}


def clean_text(value: str | None) -> str:
    """Text as typed, without the invisible control characters XML cannot carry, trimmed."""
    return (value or "").translate(_CONTROL).strip()


def _text(value: str | None, *, field: str, max_length: int, required: bool) -> str:
    """``clean_field`` on the text without its control characters (a pasted NUL is dropped)."""
    return clean_field(clean_text(value), field=field, max_length=max_length, required=required)


def _is_recorder(meeting: Meeting, actor) -> bool:
    return actor is not None and actor.pk is not None and meeting.recorder_id == actor.pk


def _is_host(meeting: Meeting, actor) -> bool:
    return actor is not None and actor.pk is not None and meeting.host_id == actor.pk


def _require_recording(meeting: Meeting, *, now: datetime, from_day: bool = False) -> None:
    """The meeting takes place and has started — when the host opened the live room early, from
    then (meetings.hooks.started_at); attendance from the meeting's day."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise DomainError(_("This meeting was cancelled."), code="meeting_cancelled")
    if from_day:
        if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
            raise DomainError(_("The meeting has not started yet."), code="meeting_not_started")
    elif not has_started(meeting, now):
        raise DomainError(_("The meeting has not started yet."), code="meeting_not_started")


ERR_RECORD_CLOSED = _(
    "The record of this meeting is closed and can no longer be changed here; "
    "corrections go through the minutes."
)


def _require_open_record(meeting: Meeting) -> None:
    """Once the record is closed (meeting HELD), attendance, item records and decisions are
    locked; corrections go through the minutes correction flow."""
    if meeting.status == Meeting.Status.HELD:
        raise DomainError(ERR_RECORD_CLOSED, code="record_closed")


def _lock_open_record(meeting: Meeting) -> Meeting:
    """Lock the meeting row and check again that its record is open (a close may have raced)."""
    locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    _require_open_record(locked)
    return locked


def _active_person(person, *, field: str) -> Person:
    if person is None or not isinstance(person, Person) or person.pk is None:
        raise DomainError(_("Choose a person."), code="required", field=field)
    if not Person.objects.filter(pk=person.pk, is_active=True).exists():
        raise DomainError(
            _("This person is unknown or no longer active."), code="unknown_person", field=field
        )
    return person


def _belongs_to(person: Person, department: Department) -> bool:
    if person.department_id == department.pk:
        return True
    return RoleAssignment.objects.filter(person=person, department=department).exists()


# ---- attendance -----------------------------------------------------------------------------


def attendance_record(
    *,
    meeting: Meeting,
    person,
    status: str,
    actor,
    now: datetime,
    reason: str = "",
    on_behalf_of=None,
    signed_in_at: datetime | None = None,
) -> Attendance:
    """Record (or correct) one person's attendance at ``meeting``.

    Preconditions: ``actor`` is the meeting's recorder or host; the meeting is not cancelled,
    its day has come and its record is not closed (code "record_closed"). ``status`` is the
    recorder's choice: "present", "late" or "absent" (a reason is required). Lateness comes from
    a sign-in time — ``signed_in_at`` when the recorder gives one (e.g. from the paper sheet),
    else the person's live sign-in — or from the recorder choosing "late"; never from the time
    the record is typed: "present" with no sign-in time after the start stays present.
    ``on_behalf_of``: the person attends as someone else's delegate.
    Side effects: one Attendance per (meeting, person), updated in place.
    Records ``attendance.recorded``.
    """
    if not (_is_recorder(meeting, actor) or _is_host(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may record attendance."))
    _require_recording(meeting, now=now, from_day=True)
    _require_open_record(meeting)
    person = _active_person(person, field="person")
    if status not in Attendance.Status.values:
        raise DomainError(_("Choose present, late or absent."), code="invalid_status", field="status")
    reason = _text(reason, field="reason", max_length=MAX_REASON, required=status == Attendance.Status.ABSENT)
    if on_behalf_of is not None:
        on_behalf_of = _active_person(on_behalf_of, field="on_behalf_of")
        if on_behalf_of.pk == person.pk:
            raise DomainError(
                _("A delegate attends for someone else."), code="delegate_self", field="on_behalf_of"
            )
    if status == Attendance.Status.ABSENT:
        signed_in_at, final = None, Attendance.Status.ABSENT
    else:
        if signed_in_at is not None and signed_in_at > now:
            raise DomainError(_("The sign-in time is in the future."), code="in_future", field="signed_in_at")
        if signed_in_at is None:  # the live sign-in, if there was one
            signed_in_at = (
                Attendance.objects.filter(meeting=meeting, person=person)
                .values_list("signed_in_at", flat=True)
                .first()
            )
        signed_late = signed_in_at is not None and signed_in_at > meeting.starts_at
        final = (
            Attendance.Status.LATE
            if status == Attendance.Status.LATE or signed_late
            else Attendance.Status.PRESENT
        )
    with transaction.atomic():
        _lock_open_record(meeting)
        attendance, _created = Attendance.objects.update_or_create(
            meeting=meeting,
            person=person,
            defaults={
                "status": final,
                "reason": reason,
                "on_behalf_of": on_behalf_of,
                "signed_in_at": signed_in_at,
                "recorded_by": actor,
                "recorded_at": now,
            },
        )
        record_event(
            name="attendance.recorded",
            actor=actor,
            subject=attendance,
            now=now,
            person=person.pk,
            status=final,
            on_behalf_of=on_behalf_of.pk if on_behalf_of else None,
        )
    return attendance


# The recorder's choices on the attendance table: the invitee came (on time / late), sent
# someone in their place, or was absent. A row left without a choice is not confirmed and not
# written: replying 参加 is no proof of presence.
DELEGATE_CAME = "delegate"
TABLE_CHOICES = (
    Attendance.Status.PRESENT,
    Attendance.Status.LATE,
    DELEGATE_CAME,
    Attendance.Status.ABSENT,
)


@dataclass(frozen=True)
class AttendanceRow:
    """One invitee's row of the attendance table: ``seat`` is the invitee (Rsvp.invitee),
    ``status`` one of TABLE_CHOICES, ``delegate`` who came in their place (DELEGATE_CAME)."""

    seat: Person
    status: str
    reason: str = ""
    delegate: Person | None = None


class AttendanceTableError(DomainError):
    """The table was refused as a whole; ``rows`` holds each row's refusals by invitee id."""

    def __init__(self, rows: dict[int, list[DomainError]]):
        super().__init__(
            _("Some rows need correcting; nothing was saved."), code="attendance_rows", field=None
        )
        self.rows = rows


def _check_row(
    row: AttendanceRow, *, invited: set[int], active: dict[int, Person]
) -> tuple[Person, str, Person | None] | list[DomainError]:
    """(who attended or was absent, reason, whom they stood in for), or the row's refusals."""
    errors: list[DomainError] = []
    reason = ""
    if row.seat.pk not in invited:
        errors.append(
            DomainError(_("This person is not invited to this meeting."), code="not_invited", field="status")
        )
    if row.status not in TABLE_CHOICES:
        errors.append(
            DomainError(_("Choose present, late or absent."), code="invalid_status", field="status")
        )
    try:
        reason = _text(
            row.reason, field="reason", max_length=MAX_REASON, required=row.status == Attendance.Status.ABSENT
        )
    except DomainError as err:
        errors.append(err)
    person: Person = row.seat
    if row.status == DELEGATE_CAME:
        delegate = active.get(row.delegate.pk) if row.delegate is not None else None
        if row.delegate is None:
            errors.append(
                DomainError(_("Choose who came in this person's place."), code="required", field="delegate")
            )
        elif delegate is None:
            errors.append(
                DomainError(
                    _("This person is unknown or no longer active."), code="unknown_person", field="delegate"
                )
            )
        elif delegate.pk == row.seat.pk:
            errors.append(
                DomainError(_("A delegate attends for someone else."), code="delegate_self", field="delegate")
            )
        else:
            person = delegate
    if errors:
        return errors
    return person, reason, (row.seat if person.pk != row.seat.pk else None)


def attendance_record_table(
    *, meeting: Meeting, rows: list[AttendanceRow], actor, now: datetime
) -> list[Attendance]:
    """Record the attendance table of ``meeting`` at once: all rows or none.

    Preconditions: as ``attendance_record`` (recorder or host; the meeting's day has come; the
    record is open). Each row is one invitee's seat; each person is recorded once. Lateness
    comes from the sign-in time (the live sign-in of whoever sat in the seat) or the recorder
    choosing "late", never from when the table is saved. Refused as a whole
    (``AttendanceTableError``, each row's refusals by invitee id) when any row is wrong.
    Side effects: per row, the seat's one Attendance (the invitee's, or their delegate's on
    their behalf), replacing whatever else sat in that seat. Records ``attendance.recorded``
    per row (via "table").
    """
    if not (_is_recorder(meeting, actor) or _is_host(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may record attendance."))
    _require_recording(meeting, now=now, from_day=True)
    _require_open_record(meeting)
    invited = set(Rsvp.objects.filter(meeting=meeting).values_list("invitee_id", flat=True))
    wanted = {r.delegate.pk for r in rows if r.delegate is not None and r.status == DELEGATE_CAME}
    active = Person.objects.filter(is_active=True).in_bulk(list(wanted))
    checked: list[tuple[AttendanceRow, Person, str, Person | None]] = []
    errors: dict[int, list[DomainError]] = {}
    taken: dict[int, int] = {}
    for row in rows:
        result = _check_row(row, invited=invited, active=active)
        if isinstance(result, list):
            errors[row.seat.pk] = result
            continue
        person, reason, principal = result
        if person.pk in taken:
            errors[row.seat.pk] = [
                DomainError(
                    _("%(name)s is already recorded in another row."),
                    code="twice",
                    field="delegate" if principal is not None else "status",
                    params={"name": person.get_full_name()},
                )
            ]
            continue
        taken[person.pk] = row.seat.pk
        checked.append((row, person, reason, principal))
    if errors:
        raise AttendanceTableError(errors)
    saved: list[Attendance] = []
    with transaction.atomic():
        _lock_open_record(meeting)
        signed_in = dict(
            Attendance.objects.filter(meeting=meeting, signed_in_at__isnull=False).values_list(
                "person_id", "signed_in_at"
            )
        )
        for row, person, reason, principal in checked:
            if row.status == Attendance.Status.ABSENT:
                final, signed_in_at = Attendance.Status.ABSENT, None
            else:
                signed_in_at = signed_in.get(person.pk)
                late = row.status == Attendance.Status.LATE or (
                    signed_in_at is not None and signed_in_at > meeting.starts_at
                )
                final = Attendance.Status.LATE if late else Attendance.Status.PRESENT
            # One attendance per seat: whoever else sat in it (the invitee, another delegate) goes.
            seat_rows = Attendance.objects.filter(meeting=meeting).exclude(person=person)
            seat_rows.filter(
                Q(on_behalf_of=row.seat) | Q(person=row.seat, on_behalf_of__isnull=True)
            ).delete()
            attendance, _created = Attendance.objects.update_or_create(
                meeting=meeting,
                person=person,
                defaults={
                    "status": final,
                    "reason": reason,
                    "on_behalf_of": principal,
                    "signed_in_at": signed_in_at,
                    "recorded_by": actor,
                    "recorded_at": now,
                },
            )
            record_event(
                name="attendance.recorded",
                actor=actor,
                subject=attendance,
                now=now,
                person=person.pk,
                status=final,
                on_behalf_of=principal.pk if principal else None,
                via="table",
            )
            saved.append(attendance)
    return saved


def attendance_signin(
    *, meeting: Meeting, person: Person, actor, now: datetime, on_behalf_of: Person | None = None
) -> Attendance:
    """A sign-in in the live room (xietong.live.services) lands in the record: present, or
    late when ``now`` is after the meeting's start. The caller has checked that ``person``
    may sit for themselves or ``on_behalf_of``. One Attendance per (meeting, person),
    updated in place (an absence recorded earlier becomes the sign-in).
    Records ``attendance.recorded`` (via "signin").
    """
    final = Attendance.Status.LATE if now > meeting.starts_at else Attendance.Status.PRESENT
    _require_open_record(meeting)
    with transaction.atomic():
        _lock_open_record(meeting)
        attendance, _created = Attendance.objects.update_or_create(
            meeting=meeting,
            person=person,
            defaults={
                "status": final,
                "reason": "",
                "on_behalf_of": on_behalf_of,
                "signed_in_at": now,
                "recorded_by": actor,
                "recorded_at": now,
            },
        )
        record_event(
            name="attendance.recorded",
            actor=actor,
            subject=attendance,
            now=now,
            person=person.pk,
            status=final,
            on_behalf_of=on_behalf_of.pk if on_behalf_of else None,
            via="signin",
        )
    return attendance


# ---- agenda items ---------------------------------------------------------------------------


def _meeting_coordinator(now: datetime) -> Person:
    day = as_shanghai(now).date()
    for person in holders(Role.COORDINATOR):
        if roles_of(person, on=day).is_coordinator:
            return person
    raise DomainError(
        _("No coordinator is appointed to return the topic to the pool."), code="no_coordinator"
    )


def item_record(
    *,
    item: AgendaItem,
    outcome: str,
    actor,
    now: datetime,
    notes: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> ItemRecord:
    """Record the discussion of one agenda item and its outcome: decided, deferred or closed.

    Preconditions: ``actor`` is the meeting's recorder; the meeting has started and is not
    cancelled; its record is not closed (code "record_closed"); an item already deferred
    cannot be changed (its topic has moved on); ``expected_version`` (from the record form) is
    the record's ``edit_version`` the recorder started from, 0 for none yet — if someone saved
    in between, ``StaleEdit`` (code "stale") is raised and nothing changes.
    "decided" or "closed" moves the item's topic to DONE (topics.services.topic_mark_done);
    changing it later to "deferred" reopens the topic first.
    "deferred" needs a reason and an item with a topic: the topic goes back to the pool for
    the series' following meeting (topics.services.topic_defer, done in the coordinator's
    name since the topic pool is theirs; the recorder is recorded on this item's event).
    Records ``item.recorded`` (outcome, deferred_to).
    """
    meeting = item.agenda.meeting
    # The host may defer an unfinished item from the live room (xietong.live.services.item_next).
    host_defers = _is_host(meeting, actor) and outcome == ItemRecord.Outcome.DEFERRED
    if not (_is_recorder(meeting, actor) or host_defers):
        raise Forbidden(_("Only the meeting's recorder may record the discussion."))
    _require_recording(meeting, now=now)
    _require_open_record(meeting)
    if outcome not in ItemRecord.Outcome.values:
        raise DomainError(_("Choose an outcome."), code="invalid_outcome", field="outcome")
    notes = _text(notes, field="notes", max_length=MAX_NOTES, required=False)
    deferring = outcome == ItemRecord.Outcome.DEFERRED
    reason = _text(reason, field="reason", max_length=MAX_REASON, required=deferring)
    if deferring and item.topic_id is None:
        raise DomainError(_("Only a topic can be deferred."), code="no_topic", field="outcome")
    with transaction.atomic():
        _lock_open_record(meeting)
        item = AgendaItem.objects.select_for_update(of=("self",)).select_related("topic").get(pk=item.pk)
        record = ItemRecord.objects.filter(agenda_item=item).first()
        if record is not None and record.outcome == ItemRecord.Outcome.DEFERRED:
            raise DomainError(
                _("This item was deferred to a later meeting; it can no longer be changed."),
                code="already_deferred",
            )
        version = record.edit_version if record is not None else 0
        require_current(version, expected_version)
        topic = item.topic
        # The topic follows its item in the same transaction: decided/closed → DONE, deferred →
        # back to the pool (a DONE topic is first put back on this agenda).
        if topic is not None and topic.meeting_id == meeting.pk:
            if not deferring and topic.status != Topic.Status.DONE:
                topic_mark_done(topic=topic, outcome=outcome, actor=actor, now=now)
            elif deferring and topic.status == Topic.Status.DONE:
                topic_reopen(topic=topic, actor=actor, now=now)
        target = None
        if deferring and topic is not None:  # refused above when the item has no topic
            target = deferral_target(meeting=meeting, topic=topic, now=now, actor=actor)
            topic_defer(
                topic=topic, to_meeting=target, reason=reason, actor=_meeting_coordinator(now), now=now
            )
        record, _created = ItemRecord.objects.update_or_create(
            agenda_item=item,
            defaults={
                "notes": notes,
                "outcome": outcome,
                "deferral_reason": reason if deferring else "",
                "deferred_to": target,
                "recorded_by": actor,
                "updated_at": now,
                "edit_version": version + 1,
            },
        )
        record_event(
            name="item.recorded",
            actor=actor,
            subject=record,
            now=now,
            outcome=outcome,
            deferred_to=target.pk if target else None,
            reason=reason,
        )
    return record


# ---- decisions ------------------------------------------------------------------------------


def _responsible_in(department, responsible) -> Person:
    """The active responsible person, checked to belong to the active responsible department."""
    if department is None or not isinstance(department, Department):
        raise DomainError(_("Name the responsible department."), code="required", field="department")
    if not Department.objects.filter(pk=department.pk, is_active=True).exists():
        raise DomainError(
            _("This department is unknown or inactive."), code="unknown_department", field="department"
        )
    responsible = _active_person(responsible, field="responsible")
    if not _belongs_to(responsible, department):
        raise DomainError(
            _("The responsible person must belong to the responsible department."),
            code="responsible_not_in_department",
            field="responsible",
        )
    return responsible


def _require_due_after_meeting(due_on, meeting: Meeting) -> None:
    if due_on is None:
        raise DomainError(_("Give a deadline."), code="required", field="due_on")
    if isinstance(due_on, datetime) or due_on <= as_shanghai(meeting.starts_at).date():
        raise DomainError(
            _("The deadline must be after the meeting's date."), code="due_not_after_meeting", field="due_on"
        )


def _allocated_amount(amount) -> Decimal:
    """The amount a decision allocates, as a positive number of at most two decimals."""
    if amount in (None, ""):
        raise DomainError(_("Give the amount allocated."), code="required", field="amount")
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError(_("Enter a number."), code="invalid_amount", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise DomainError(_("Enter a positive amount."), code="invalid_amount", field="amount")
    return amount.quantize(Decimal("0.01"))


VOTE_RULE = "decision_vote"
MAX_UNVOTED_REASON = max_length(Decision, "unvoted_reason")


def _unvoted_reason(meeting: Meeting, reason: str) -> str:
    """What a decision without a passed vote records under the policy's ``decision_vote``:
    nothing ("not_required"), a refusal ("refuse"), or the host's reason ("mark_unvoted")."""
    rules = meeting.policy_version.rules
    mode = rules.choice(VOTE_RULE)
    if mode == "not_required":
        return ""
    rule = rules.get(VOTE_RULE)
    clause = rule.clause if rule is not None else ""
    if mode == "refuse":
        raise DomainError(
            _("Under this regulation a decision needs a passed vote (%(clause)s); put it to the vote first."),
            code="vote_required",
            params={"clause": clause},
        )
    reason = _text(reason, field="unvoted_reason", max_length=MAX_UNVOTED_REASON, required=False)
    if not reason:
        raise DomainError(
            _("This decision was not voted on: give the host's reason (%(clause)s)."),
            code="unvoted_reason_required",
            field="unvoted_reason",
            params={"clause": clause},
        )
    return reason


def decision_create(
    *,
    meeting: Meeting,
    text: str,
    department,
    responsible,
    due_on,
    actor,
    now: datetime,
    agenda_item: AgendaItem | None = None,
    allocates_resources: bool = False,
    resource_kind: str = "",
    amount=None,
    voted: bool = False,
    unvoted_reason: str = "",
) -> Decision:
    """Record a decision (决议) of ``meeting`` with its responsible department, person and deadline.

    Preconditions: ``actor`` is the meeting's recorder or host; the meeting has started and
    is not cancelled; ``agenda_item`` (optional) is on this meeting's agenda; text 1–2000
    characters (stored as typed, escaped when shown); an active department; a responsible
    person who belongs to it (member, or holds a role for it); a deadline after the meeting's
    date. A decision allocating resources needs their kind and a positive amount.
    ``voted``: the decision records a passed vote (the live room checked it). Otherwise the
    policy's ``decision_vote`` says (seed 02 四、(一): decisions need a majority's agreement):
    "refuse" refuses it (code "vote_required"); "mark_unvoted" records it with the host's
    reason (``unvoted_reason``, required, code "unvoted_reason_required"), shown as "未经表决"
    in the minutes; "not_required" records it as it is.
    Refused (code "record_closed") once the record is closed: corrections go through the
    minutes.
    Side effects: an allocating decision waits for the leadership group
    (AWAITING_LEADERSHIP, seed 01 第五条(一)2) and opens its LEADERSHIP_APPROVAL duty, due
    ``leadership_approval_days`` working days later (none when the policy lacks the rule);
    any other is EFFECTIVE and gets its action item now (the action items' reaction to
    ``decision.created``). Records ``decision.created``.
    """
    if not (_is_recorder(meeting, actor) or _is_host(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may record decisions."))
    _require_recording(meeting, now=now)
    _require_open_record(meeting)
    if (
        agenda_item is not None
        and not AgendaItem.objects.filter(pk=agenda_item.pk, agenda__meeting=meeting).exists()
    ):
        raise DomainError(
            _("This item is not on the meeting's agenda."), code="item_not_on_agenda", field="agenda_item"
        )
    text = _text(text, field="text", max_length=MAX_TEXT, required=True)
    responsible = _responsible_in(department, responsible)
    _require_due_after_meeting(due_on, meeting)
    unvoted_reason = "" if voted else _unvoted_reason(meeting, unvoted_reason)
    if allocates_resources:
        if resource_kind not in Decision.ResourceKind.values:
            raise DomainError(_("Choose the kind of resource."), code="required", field="resource_kind")
        amount = _allocated_amount(amount)
        status = Decision.Status.AWAITING_LEADERSHIP
    else:
        resource_kind, amount = "", None
        status = Decision.Status.EFFECTIVE
    with transaction.atomic():
        locked_meeting = _lock_open_record(meeting)
        decision = Decision.objects.create(
            meeting=meeting,
            agenda_item=agenda_item,
            text=text,
            department=department,
            responsible=responsible,
            due_on=due_on,
            allocates_resources=allocates_resources,
            resource_kind=resource_kind,
            amount=amount,
            status=status,
            unvoted_reason=unvoted_reason,
            created_by=actor,
            created_at=now,
        )
        record_event(
            name="decision.created",
            actor=actor,
            subject=decision,
            now=now,
            status=status,
            department=department.pk,
            responsible=responsible.pk,
            due_on=due_on.isoformat(),
            voted=voted,
            unvoted=bool(unvoted_reason),
        )
        if status != Decision.Status.EFFECTIVE:
            _open_leadership_duty(decision, meeting=locked_meeting, now=now)
    return decision


LEADERSHIP_RULE = "leadership_approval_days"
RANK_ORDER: dict[str, int] = {LeadershipRank.CHAIR: 0, LeadershipRank.VICE_CHAIR: 1, LeadershipRank.MEMBER: 2}


def _leadership_head() -> Person | None:
    """Who answers for the leadership group in the ledger: the chair (else the vice-chair, else
    any member), None when nobody holds the role."""
    rows = (
        RoleAssignment.objects.filter(role=Role.LEADERSHIP, person__is_active=True)
        .select_related("person")
        .order_by("person_id")
    )
    ranked = sorted(rows, key=lambda r: (RANK_ORDER.get(r.rank, 3), r.person_id))
    return ranked[0].person if ranked else None


def _open_leadership_duty(decision: Decision, *, meeting: Meeting, now: datetime):
    """A LEADERSHIP_APPROVAL duty on a resource decision, due ``leadership_approval_days``
    working days after it was recorded; none when the policy has no such rule."""
    version = meeting.policy_version
    days = version.rules.count(LEADERSHIP_RULE)
    if days is None:
        return None
    return obligation_open(
        kind=ObligationKind.LEADERSHIP_APPROVAL,
        rule=LEADERSHIP_RULE,
        subject=decision,
        due=business_calendar().add_working_days(now, days),
        policy_version=version,
        now=now,
        responsible=_leadership_head(),
        department=None,
    )


def _require_leadership(actor, *, now: datetime) -> None:
    if actor is None or not roles_of(actor, on=as_shanghai(now).date()).has(Role.LEADERSHIP):
        raise Forbidden(_("Only the leadership group may answer this decision."))


def _leadership_answer(decision: Decision, action: str) -> Decision:
    """The decision locked, once the table allows ``action`` from its state."""
    locked = Decision.objects.select_for_update(of=("self",)).get(pk=decision.pk)
    transitions.refuse_unless(
        DECISION_TRANSITIONS, action, locked.status, _("This decision is not awaiting the leadership group.")
    )
    return locked


def decision_approve(*, decision: Decision, actor, now: datetime, comment: str = "") -> Decision:
    """The leadership group approves a resource decision (seed 01 第五条(一)2).

    Preconditions: ``actor`` holds Role.LEADERSHIP; the decision is AWAITING_LEADERSHIP.
    Side effects: EFFECTIVE, approval recorded (who, when, comment), its action item
    created, the LEADERSHIP_APPROVAL duty closed (met or late). When the record was already
    closed, the department's DECISION_ACK duty is opened as record_close would have done
    (due the rule's minutes after the approval) unless one is still open for this meeting.
    Records ``decision.approved``.
    """
    _require_leadership(actor, now=now)
    comment = _text(comment, field="comment", max_length=MAX_COMMENT, required=False)
    with transaction.atomic():
        locked = _leadership_answer(decision, "approve")
        locked.status = Decision.Status.EFFECTIVE
        locked.leadership_by = actor
        locked.leadership_at = now
        locked.leadership_comment = comment
        locked.save(update_fields=["status", "leadership_by", "leadership_at", "leadership_comment"])
        duty = obligation_close(kind=ObligationKind.LEADERSHIP_APPROVAL, subject=locked, now=now, actor=actor)
        ack = None
        meeting = Meeting.objects.select_related("policy_version").get(pk=locked.meeting_id)
        if meeting.status == Meeting.Status.HELD:
            ack = _open_ack_after_close(meeting, locked.department, now=now)
        record_event(
            name="decision.approved",
            actor=actor,
            subject=locked,
            now=now,
            comment=comment,
            late=bool(duty and duty.state == Obligation.State.BREACHED),
            ack_opened=ack,
        )
    return locked


def decision_reject(*, decision: Decision, reason: str, actor, now: datetime) -> Decision:
    """The leadership group rejects a resource decision; no action item is created.

    Preconditions: ``actor`` holds Role.LEADERSHIP; AWAITING_LEADERSHIP; a reason.
    Side effects: REJECTED with who, when and the reason; the LEADERSHIP_APPROVAL duty
    closed (met or late). Records ``decision.rejected``.
    """
    _require_leadership(actor, now=now)
    reason = _text(reason, field="reason", max_length=MAX_COMMENT, required=True)
    with transaction.atomic():
        locked = _leadership_answer(decision, "reject")
        locked.status = Decision.Status.REJECTED
        locked.leadership_by = actor
        locked.leadership_at = now
        locked.leadership_comment = reason
        locked.save(update_fields=["status", "leadership_by", "leadership_at", "leadership_comment"])
        duty = obligation_close(kind=ObligationKind.LEADERSHIP_APPROVAL, subject=locked, now=now, actor=actor)
        record_event(
            name="decision.rejected",
            actor=actor,
            subject=locked,
            now=now,
            reason=reason,
            late=bool(duty and duty.state == Obligation.State.BREACHED),
        )
    return locked


# ---- closing the record ---------------------------------------------------------------------

DECISION_ACK_RULE = "decision_ack"


def _open_ack_duty(meeting: Meeting, department: Department, *, due: CalendarResult, now: datetime) -> bool:
    """One DECISION_ACK duty for ``department`` on ``meeting``, for its first liaison; False
    when the department has no liaison (no duty)."""
    liaisons = sorted(holders(Role.LIAISON, department.pk), key=lambda p: p.pk)
    if not liaisons:
        return False
    obligation_open(
        kind=ObligationKind.DECISION_ACK,
        rule=DECISION_ACK_RULE,
        subject=meeting,
        due=due,
        policy_version=meeting.policy_version,
        now=now,
        responsible=liaisons[0],
        department=department,
    )
    return True


def ack_duties_open(meeting: Meeting, department_ids: list[int], *, now: datetime) -> dict[str, list[int]]:
    """On closing the record: when the policy has a ``decision_ack`` rule (seed 01 第五条(二)4),
    one DECISION_ACK duty per department in ``department_ids`` (those the meeting gave tasks),
    for its liaison, due at the meeting's end plus the rule's minutes. Returns the departments
    that got one and those without a liaison (no duty), for the ``record.closed`` event."""
    rule = meeting.policy_version.rules.get(DECISION_ACK_RULE)
    opened: list[int] = []
    without_liaison: list[int] = []
    if rule is not None and rule.minutes is not None and department_ids:
        due = CalendarResult(as_shanghai(ended_at(meeting)) + timedelta(minutes=rule.minutes))
        departments = Department.objects.in_bulk(department_ids)
        for dept_id in department_ids:
            if _open_ack_duty(meeting, departments[dept_id], due=due, now=now):
                opened.append(dept_id)
            else:
                without_liaison.append(dept_id)
    return {"departments": opened, "without_liaison": without_liaison}


def _open_ack_after_close(meeting: Meeting, department: Department, *, now: datetime) -> bool | None:
    """A decision that took effect after the record was closed (a leadership approval): its
    department acknowledges it like the others, within the rule's minutes of the approval.
    A duty still open for the department on this meeting covers it (nothing new is opened).
    None when the policy has no ``decision_ack`` rule or a duty is still open."""
    rule = meeting.policy_version.rules.get(DECISION_ACK_RULE)
    if rule is None or rule.minutes is None:
        return None
    still_open = Obligation.objects.filter(
        kind=ObligationKind.DECISION_ACK,
        subject_type=ContentType.objects.get_for_model(meeting),
        subject_id=meeting.pk,
        department=department,
        closed_at__isnull=True,
        state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
    ).exists()
    if still_open:
        return None
    start = max(as_shanghai(ended_at(meeting)), as_shanghai(now))
    return _open_ack_duty(
        meeting, department, due=CalendarResult(start + timedelta(minutes=rule.minutes)), now=now
    )


def items_without_outcome(meeting: Meeting) -> list[str]:
    """Titles of ``meeting``'s agenda items that have no outcome recorded yet, in agenda order
    (the open-discussion slot excepted)."""
    return list(
        AgendaItem.objects.filter(agenda__meeting=meeting, record__isnull=True)
        .exclude(kind=AgendaItem.Kind.OPEN_DISCUSSION)
        .order_by("position")
        .values_list("title", flat=True)
    )


def _require_outcomes(meeting: Meeting) -> None:
    missing = items_without_outcome(meeting)
    if missing:
        raise DomainError(
            _(
                "Record the outcome (decided, deferred with a reason, or closed) of every agenda "
                "item before closing the record. Without an outcome: %(items)s."
            ),
            code="items_without_outcome",
            params={"items": "、".join(missing)},
        )


def record_close(*, meeting: Meeting, actor, now: datetime) -> Meeting:
    """The recorder or host marks the meeting's record complete: the meeting is HELD.

    Preconditions: ``actor`` is the meeting's recorder or host; the meeting has started, is
    not cancelled and is not already held.
    Side effects: Meeting.status HELD. When the policy has a ``decision_ack`` rule (seed 01
    第五条(二)4), one DECISION_ACK duty per department that has action items from this
    meeting, responsible: that department's liaison, due at the meeting's end plus the
    rule's minutes, under the rule's clause (a department without a liaison gets none; it
    is named in the event). Every agenda item needs its outcome first (decided, deferred
    with a reason, or closed: seed 01 第三条1–2, 议而有决): refused (code
    "items_without_outcome", the items named) otherwise; the open-discussion slot is time
    kept free, not an item to decide, and needs none. Records ``record.closed``; the action items react (they know
    which departments the meeting gave tasks: ack_duties_open) and add departments and
    without_liaison to it.
    """
    if not (_is_recorder(meeting, actor) or _is_host(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may close the record."))
    _require_recording(meeting, now=now)
    with transaction.atomic():
        locked = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("policy_version")
            .get(pk=meeting.pk)
        )
        if locked.status == Meeting.Status.CANCELLED:
            transitions.refuse_unless(
                MEETING_TRANSITIONS,
                "close",
                locked.status,
                _("This meeting was cancelled."),
                code="meeting_cancelled",
            )
        transitions.refuse_unless(
            MEETING_TRANSITIONS,
            "close",
            locked.status,
            _("The record of this meeting is already closed."),
            code="already_closed",
        )
        _require_outcomes(locked)
        locked.status = Meeting.Status.HELD
        locked.save(update_fields=["status"])
        meeting.status = locked.status
        record_event(name="record.closed", actor=actor, subject=locked, now=now)
    return locked

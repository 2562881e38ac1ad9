"""Minutes (纪要): drafting from the record, editing with optimistic locking, review, corrections.

The recorder drafts and edits; the host approves or returns with comments. The ledger duty
"minutes" on the meeting opens when the meeting ends — when the host ends the live room
(reaction to ``live.ended``), or when the scheduled end has passed (``minutes_duties_open``, run
every minute: a meeting held without the live room has no other signal, and a run missed while
the worker was down is caught up by the next). It is due ``minutes_deadline`` minutes after the
meeting's actual end (the live room's, else the schedule's); approval of the first version
closes it (breached when late). Approved minutes never change:
a correction is a new version with a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.actions.models import ActionItem
from xietong.core import transitions
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.optlock import check_and_bump
from xietong.core.text import clean_field
from xietong.core.transitions import Step, step
from xietong.live.selectors import minutes_lines
from xietong.meetings.hooks import ended_at
from xietong.meetings.models import Meeting, Rsvp
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close, obligation_open
from xietong.org.models import Person, Role
from xietong.policy.calendar import CalendarResult, as_shanghai
from xietong.records.models import Attendance, Decision, ItemRecord
from xietong.records.services import decision_create

from .layout import chinese_numeral, yuan
from .models import MAX_BODY, Minutes, MinutesReceipt
from .paste import PasteResult, parse_pasted_minutes

MINUTES_RULE = "minutes_deadline"
MAX_COMMENT = max_length(Minutes, "return_comment")
MAX_REASON = max_length(Minutes, "correction_reason")


def action_line(task: str, owner: str, due_on, department: str = "") -> str:
    """An action item in the form the paste parser reads back (the department is optional)."""
    department = f"负责部门:{department}," if department else ""
    return f"[{task}]({department}负责人:{owner},截止日期:{due_on:%Y-%m-%d})"


# The labels of the drafted text that the official document (xietong.minutes.official) reads back.
MSG_DECISIONS = _("Decisions:")
MSG_DECISION = _("%(n)s. %(text)s (responsible: %(department)s, %(person)s; deadline %(due)s)")
MSG_RESOURCES = _("Resources: %(kind)s, %(amount)s")
MSG_ACTIONS = _("Action items:")
MSG_NEXT_MEETING = _("Next meeting: %(when)s, %(place)s")

M = Minutes.Status
RECORDER = "recorder"
HOST = "host"

# action -> (the states it may start from, who may take it: the meeting's recorder or host)
TRANSITIONS: dict[str, Step] = {
    "save": step({M.DRAFT, M.RETURNED}, RECORDER),
    "submit": step({M.DRAFT, M.RETURNED}, RECORDER),
    "approve": step({M.IN_REVIEW}, HOST),
    "return": step({M.IN_REVIEW}, HOST),
    "correct": step({M.APPROVED}, RECORDER),
}


def holds(role: str, meeting: Meeting, person) -> bool:
    """Whether ``person`` is the meeting's recorder (``RECORDER``) or host (``HOST``)."""
    if person is None or person.pk is None:
        return False
    return person.pk == (meeting.recorder_id if role == RECORDER else meeting.host_id)


def allowed_actions(minutes: Minutes, person) -> list[str]:
    """The steps ``person`` may take on this version now (its state and their role both allow it)."""
    return transitions.allowed_actions(
        TRANSITIONS, minutes.status, lambda role: holds(role, minutes.meeting, person)
    )


def _require_recorder(meeting: Meeting, actor) -> None:
    if not holds(RECORDER, meeting, actor):
        raise Forbidden(_("Only the meeting's recorder may do this."))


def _require_host(meeting: Meeting, actor) -> None:
    if not holds(HOST, meeting, actor):
        raise Forbidden(_("Only the meeting's host may approve or return the minutes."))


ERR_STATE = _("The minutes are not in a state that allows this.")
# Approved minutes are the record: they are corrected with a new version, never changed.
REFUSALS: dict[str, tuple[str | Promise, str]] = {
    M.APPROVED: (_("Approved minutes cannot change; correct them with a new version."), "immutable")
}


def _lock(minutes: Minutes, action: str) -> Minutes:
    """The version locked, once the table allows ``action`` from its state."""
    return transitions.locked(Minutes, minutes.pk, TRANSITIONS, action, ERR_STATE, refusals=REFUSALS)


def _refresh(original: Minutes, locked: Minutes) -> Minutes:
    original.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return original


def _when(t: datetime) -> str:
    return as_shanghai(t).strftime("%Y-%m-%d %H:%M")


def minutes_deadline(meeting: Meeting) -> CalendarResult:
    """When the minutes of ``meeting`` are due: its actual end (the live room's when it recorded
    one, else the scheduled end) plus the policy's ``minutes_deadline``."""
    minutes = meeting.policy_version.rules.minutes(MINUTES_RULE)
    return CalendarResult(as_shanghai(ended_at(meeting)) + timedelta(minutes=minutes))


# Meetings that take place: a planned meeting never announced did not happen; a cancelled one
# has nothing to minute.
TAKES_PLACE = (Meeting.Status.PUBLISHED, Meeting.Status.HELD)


def _minutes_duties(meeting_id: int):
    return Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(Meeting),
        subject_id=meeting_id,
        kind=ObligationKind.MINUTES,
    )


def _open_minutes_duty(meeting: Meeting, *, now: datetime) -> Obligation | None:
    """Open the meeting's minutes duty unless it has one already (in any state); the caller holds
    the meeting row's lock. None when nothing was opened."""
    if _minutes_duties(meeting.pk).exists():
        return None
    return obligation_open(
        kind=ObligationKind.MINUTES,
        rule=MINUTES_RULE,
        subject=meeting,
        due=minutes_deadline(meeting),
        policy_version=meeting.policy_version,
        now=now,
        responsible=meeting.recorder,
        department=meeting.recorder.department if meeting.recorder else None,
    )


def minutes_duties_open(*, now: datetime) -> int:
    """Open the minutes duty of every meeting that took place and has ended by ``now`` without one.

    Ended: the scheduled end has passed, or the host ended the live room. Each meeting is
    locked and checked again, so two workers never open the same duty twice; a meeting whose
    duty was opened, met or waived before is left alone. Returns how many duties were opened
    (each records ``minutes.duty_opened``).

    The scan reads meetings through their ``ends_at`` index and probes the ledger's
    (subject, kind) index once per ended meeting: its cost grows with the meetings held, a few
    dozen a year per series.
    """
    meeting_type = ContentType.objects.get_for_model(Meeting)
    has_duty = Obligation.objects.filter(
        subject_type=meeting_type, subject_id=OuterRef("pk"), kind=ObligationKind.MINUTES
    )
    due_ids = list(
        Meeting.objects.filter(status__in=TAKES_PLACE)
        .filter(Q(ends_at__lte=now) | Q(live_room__ended_at__lte=now))
        .filter(~Exists(has_duty))
        .values_list("pk", flat=True)
        .distinct()
    )
    opened = 0
    for pk in due_ids:
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("policy_version", "recorder")
                .get(pk=pk)
            )
            if meeting.status not in TAKES_PLACE:
                continue
            if _open_minutes_duty(meeting, now=now) is not None:
                record_event(name="minutes.duty_opened", actor=None, subject=meeting, now=now)
                opened += 1
    return opened


def on_live_ended(*, event, subject: Meeting, actor, now: datetime) -> dict | None:
    """The host ended the live room: the minutes duty opens now, due from this actual end; a
    duty the schedule opened before (the meeting overran) is re-timed to it."""
    meeting = Meeting.objects.select_related("policy_version", "recorder").get(pk=subject.pk)
    if meeting.status not in TAKES_PLACE:
        return None
    pending = _minutes_duties(meeting.pk).filter(state=Obligation.State.PENDING).first()
    due = minutes_deadline(meeting)
    if pending is not None:
        if pending.due_at == due.value:
            return None
        # obligation_open replaces the pending duty (waived, "superseded") with the re-timed one.
        obligation_open(
            kind=ObligationKind.MINUTES,
            rule=MINUTES_RULE,
            subject=meeting,
            due=due,
            policy_version=meeting.policy_version,
            now=now,
            responsible=pending.responsible,
            department=pending.department,
        )
        return {"minutes_due": due.value.isoformat()}
    if _open_minutes_duty(meeting, now=now) is None:
        return None
    return {"minutes_due": due.value.isoformat()}


def _heading_lines(meeting: Meeting, rsvps: list[Rsvp], attendances: list[Attendance]) -> list[str | Promise]:
    """Title, time, place, host, recorder, and every invitee's attendance."""
    lines: list[str | Promise] = [_("Minutes of %(title)s") % {"title": meeting.title}, ""]
    end = as_shanghai(meeting.ends_at).strftime("%H:%M")
    lines.append(_("Time: %(when)s–%(end)s") % {"when": _when(meeting.starts_at), "end": end})
    place = meeting.location or meeting.online_url or "—"
    lines.append(_("Place: %(place)s") % {"place": place})
    lines.append(_("Host: %(name)s") % {"name": meeting.host.get_full_name() if meeting.host else "—"})
    lines.append(
        _("Recorder: %(name)s") % {"name": meeting.recorder.get_full_name() if meeting.recorder else "—"}
    )
    present: list[str] = []
    absent: list[str] = []
    unconfirmed: list[str] = []
    # Each invitee's seat: their own attendance, or that of whoever sat in for them.
    by_seat = {a.on_behalf_of_id or a.person_id: a for a in attendances}
    seated = [
        (_stood_in_name(r.invitee, r.on_behalf_of), r.on_behalf_of, by_seat.pop(r.invitee_id, None))
        for r in rsvps
    ]
    # Signed in without an invitation (e.g. admitted by the host): listed as they came.
    seated += [(a.person.get_full_name(), None, a) for a in by_seat.values()]
    for name, standing_for, a in seated:
        if a is None:
            unconfirmed.append(name)
        elif a.status == Attendance.Status.ABSENT:
            absent.append(_("%(name)s (%(reason)s)") % {"name": name, "reason": a.reason})
        else:
            present.append(_present_name(a, standing_for=standing_for))
    lines.append(_("Attendees: %(names)s") % {"names": "、".join(present) or "—"})
    lines.append(_("Absent: %(names)s") % {"names": "、".join(absent) or "—"})
    if unconfirmed:
        lines.append(_("Attendance not recorded: %(names)s") % {"names": "、".join(unconfirmed)})
    return lines


def _stood_in_name(person: Person, principal: Person | None) -> str:
    """A name as the minutes give it, with whom the person stood in for."""
    name = person.get_full_name()
    if principal is None:
        return name
    return _("%(name)s (for %(principal)s)") % {"name": name, "principal": principal.get_full_name()}


def _present_name(attendance: Attendance, *, standing_for: Person | None = None) -> str:
    """An attendee as the minutes name them: whom they stood in for (for this meeting, or
    ``standing_for`` through a standing delegation), and whether they came late."""
    name = _stood_in_name(attendance.person, attendance.on_behalf_of or standing_for)
    if attendance.status == Attendance.Status.LATE:
        name = _("%(name)s (late)") % {"name": name}
    return name


def _record_lines(record: ItemRecord | None) -> list[str | Promise]:
    """An agenda item's discussion and outcome, as recorded in the meeting."""
    if record is None:
        return []
    lines: list[str | Promise] = []
    if record.notes:
        lines.append(_("Discussion: %(notes)s") % {"notes": record.notes})
    outcome = record.get_outcome_display()
    if record.outcome == ItemRecord.Outcome.DEFERRED and record.deferral_reason:
        outcome = f"{outcome}({record.deferral_reason})"
    lines.append(_("Outcome: %(outcome)s") % {"outcome": outcome})
    return lines


def _decision_lines(
    decisions: list[Decision], actions_by_decision: dict[int, list[ActionItem]]
) -> list[str | Promise]:
    """An agenda item's decisions, then the action items they created."""
    if not decisions:
        return []
    lines: list[str | Promise] = [MSG_DECISIONS]
    for k, d in enumerate(decisions, start=1):
        lines.append(
            MSG_DECISION
            % {
                "n": k,
                "text": d.text,
                "department": d.department.name,
                "person": d.responsible.get_full_name(),
                "due": d.due_on.isoformat(),
            }
        )
        if d.allocates_resources and d.amount is not None:
            lines.append(_resources_line(d))
        if d.unvoted_reason:
            lines.append(_("Not voted on: %(reason)s") % {"reason": d.unvoted_reason})
    item_actions = [a for d in decisions for a in actions_by_decision.get(d.pk, [])]
    if item_actions:
        lines.append(MSG_ACTIONS)
        lines += [
            action_line(a.title, a.owner.get_full_name(), a.due_on, a.department.name) for a in item_actions
        ]
    return lines


def _resources_line(decision: Decision) -> str | Promise:
    """What a resource decision allocates; money in 元."""
    amount = decision.amount or 0
    if decision.resource_kind == Decision.ResourceKind.MONEY:
        text = yuan(amount)
    else:
        text = yuan(amount).removesuffix("元")
    return MSG_RESOURCES % {"kind": decision.get_resource_kind_display(), "amount": text}


def _next_meeting_line(meeting: Meeting) -> str | Promise:
    """When and where the series meets next, or that it is not yet announced."""
    following = None
    if meeting.series_id:
        following = (
            Meeting.objects.filter(series_id=meeting.series_id, starts_at__gt=meeting.starts_at)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("starts_at")
            .first()
        )
    if following is None:
        return _("Next meeting: to be announced")
    return MSG_NEXT_MEETING % {
        "when": _when(following.starts_at),
        "place": following.location or following.online_url or "—",
    }


def minutes_body_from_record(meeting: Meeting) -> str:
    """The standard structure, built from the meeting record, in the active language.

    Title, time, place, host, recorder, attendees, absentees with reasons, per agenda item the
    discussion, outcome, decisions and action items (``[任务](负责人:…,截止日期:…)``), next meeting.
    """
    meeting = Meeting.objects.select_related("host", "recorder", "series").get(pk=meeting.pk)
    attendances = list(
        Attendance.objects.filter(meeting=meeting).select_related("person", "on_behalf_of").order_by("id")
    )
    items = []
    if hasattr(meeting, "agenda"):
        items = list(meeting.agenda.items.select_related("record").order_by("position"))
    decisions = list(
        Decision.objects.filter(meeting=meeting)
        .exclude(status=Decision.Status.REJECTED)
        .select_related("department", "responsible")
        .order_by("id")
    )
    actions = list(
        ActionItem.objects.filter(meeting=meeting).select_related("owner", "department").order_by("id")
    )
    rsvps = list(
        Rsvp.objects.filter(meeting=meeting)
        .select_related("invitee", "on_behalf_of", "department")
        .order_by("department__sort_order", "invitee__full_name", "id")
    )
    lines = _heading_lines(meeting, rsvps, attendances)
    # Speeches, votes and guests from the live room (xietong.live): nothing typed twice.
    live = minutes_lines(meeting)
    lines += live["guests"]
    by_item: dict[int | None, list[Decision]] = {}
    for d in decisions:
        by_item.setdefault(d.agenda_item_id, []).append(d)
    actions_by_decision: dict[int, list[ActionItem]] = {}
    for a in actions:
        actions_by_decision.setdefault(a.decision_id, []).append(a)
    sections: list[tuple[str | Promise, ItemRecord | None, list[Decision], list[str]]] = [
        (item.title, getattr(item, "record", None), by_item.get(item.pk, []), live["items"].get(item.pk, []))
        for item in items
    ]
    if by_item.get(None) or live["items"].get(None):
        sections.append((_("Other decisions"), None, by_item.get(None, []), live["items"].get(None, [])))
    for n, (title, record, item_decisions, live_lines) in enumerate(sections, start=1):
        lines += ["", f"{chinese_numeral(n)}、{title}"]
        lines += live_lines
        lines += _record_lines(record)
        lines += _decision_lines(item_decisions, actions_by_decision)
    if live["speaking"]:
        lines += ["", *live["speaking"]]
    lines += ["", _next_meeting_line(meeting)]
    return "\n".join(str(line) for line in lines)


def minutes_draft(*, meeting: Meeting, actor, now: datetime) -> Minutes:
    """Draft version 1 of ``meeting``'s minutes from its record.

    Preconditions: ``actor`` is the meeting's recorder; the meeting is not cancelled and has
    started; it has no minutes yet. Side effects: opens the ledger duty "minutes" on the
    meeting (responsible: the recorder) due at the end plus ``minutes_deadline`` when the
    meeting's end has not opened it yet. Records ``minutes.drafted``.
    """
    _require_recorder(meeting, actor)
    if meeting.status == Meeting.Status.CANCELLED:
        raise DomainError(_("This meeting was cancelled."), code="meeting_cancelled")
    if now < meeting.starts_at:
        raise DomainError(_("The meeting has not started yet."), code="meeting_not_started")
    with transaction.atomic():
        Meeting.objects.select_for_update(of=("self",)).filter(pk=meeting.pk).first()
        if Minutes.objects.filter(meeting=meeting).exists():
            raise DomainError(_("This meeting already has minutes."), code="exists")
        body = minutes_body_from_record(meeting)[:MAX_BODY]
        minutes = Minutes.objects.create(
            meeting=meeting,
            number=1,
            body=body,
            drafted_by=actor,
            drafted_at=now,
            updated_at=now,
        )
        _open_minutes_duty(meeting, now=now)
        record_event(name="minutes.drafted", actor=actor, subject=minutes, now=now, number=1)
    return minutes


def minutes_save(*, minutes: Minutes, body: str, expected_version: int, actor, now: datetime) -> Minutes:
    """Save the recorder's edit of a draft or returned version.

    Preconditions: ``actor`` is the recorder; the version is a draft or returned;
    ``expected_version`` is the ``edit_version`` the editor started from — if someone saved in
    between, ``StaleEdit`` (code "stale") is raised and nothing changes.
    Side effects: body replaced, ``edit_version`` raised. Records ``minutes.saved``.
    """
    _require_recorder(minutes.meeting, actor)
    body = clean_field(body, field="body", max_length=MAX_BODY, required=True)
    with transaction.atomic():
        locked = _lock(minutes, "save")
        bumped = check_and_bump(
            locked,
            expected_version,
            message=_("Someone else saved these minutes while you were editing. Your text was not saved."),
            field="body",
        )
        locked.body = body
        locked.updated_at = now
        locked.save(update_fields=["body", *bumped, "updated_at"])
        record_event(name="minutes.saved", actor=actor, subject=locked, now=now, lock=locked.edit_version)
    return _refresh(minutes, locked)


def minutes_submit(*, minutes: Minutes, actor, now: datetime) -> Minutes:
    """Send a draft or returned version to the host. Records ``minutes.submitted``."""
    _require_recorder(minutes.meeting, actor)
    with transaction.atomic():
        locked = _lock(minutes, "submit")
        locked.status = Minutes.Status.IN_REVIEW
        locked.submitted_at = now
        locked.updated_at = now
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(name="minutes.submitted", actor=actor, subject=locked, now=now)
    return _refresh(minutes, locked)


def minutes_approve(*, minutes: Minutes, actor, now: datetime) -> Minutes:
    """The host approves a version in review; from now on it never changes.

    Side effects: the first approval closes the ledger duty "minutes" (breached when after
    the deadline); the version is distributed in-app to the meeting's invitees and the
    leadership group (one unread ``MinutesReceipt`` each). Records ``minutes.approved`` with
    ``late`` and ``minutes.distributed`` with the ``recipients`` ids.
    """
    _require_host(minutes.meeting, actor)
    with transaction.atomic():
        locked = _lock(minutes, "approve")
        locked.status = Minutes.Status.APPROVED
        locked.approved_by = actor
        locked.approved_at = now
        locked.updated_at = now
        locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        obligation = obligation_close(
            kind=ObligationKind.MINUTES, subject=minutes.meeting, now=now, actor=actor
        )
        late = obligation is not None and obligation.state == obligation.State.BREACHED
        record_event(
            name="minutes.approved", actor=actor, subject=locked, now=now, number=locked.number, late=late
        )
        recipients = minutes_recipients(locked.meeting_id)
        MinutesReceipt.objects.bulk_create(
            [MinutesReceipt(minutes=locked, person_id=pk, delivered_at=now) for pk in recipients],
            ignore_conflicts=True,
        )
        record_event(name="minutes.distributed", actor=actor, subject=locked, now=now, recipients=recipients)
    return _refresh(minutes, locked)


def minutes_recipients(meeting_id: int) -> list[int]:
    """Ids of the people approved minutes of the meeting go to: its invitees and the leadership group."""
    invitees = Rsvp.objects.filter(meeting_id=meeting_id).values_list("invitee_id", flat=True)
    leaders = Person.objects.filter(is_active=True, roles__role=Role.LEADERSHIP).values_list("pk", flat=True)
    return sorted(set(invitees) | set(leaders))


def minutes_mark_read(*, minutes: Minutes, actor, now: datetime) -> bool:
    """Mark ``actor``'s receipt of ``minutes`` read (no-op without an unread receipt).

    Returns whether a receipt changed. Records no event (reading is not a workflow step).
    """
    if actor is None or actor.pk is None:
        return False
    changed = MinutesReceipt.objects.filter(minutes=minutes, person_id=actor.pk, read_at__isnull=True).update(
        read_at=now
    )
    return bool(changed)


def minutes_return(*, minutes: Minutes, comment: str, actor, now: datetime) -> Minutes:
    """The host returns a version in review with comments (required). Records ``minutes.returned``."""
    _require_host(minutes.meeting, actor)
    comment = clean_field(comment, field="comment", max_length=MAX_COMMENT, required=True)
    with transaction.atomic():
        locked = _lock(minutes, "return")
        locked.status = Minutes.Status.RETURNED
        locked.return_comment = comment
        locked.updated_at = now
        locked.save(update_fields=["status", "return_comment", "updated_at"])
        record_event(name="minutes.returned", actor=actor, subject=locked, now=now)
    return _refresh(minutes, locked)


def minutes_correct(*, minutes: Minutes, reason: str, actor, now: datetime) -> Minutes:
    """Start a correction of approved minutes: version n+1, a draft with the same text.

    Preconditions: ``actor`` is the recorder; ``minutes`` is the newest version and approved;
    a reason is given. Both versions stay readable. Records ``minutes.corrected``.
    """
    _require_recorder(minutes.meeting, actor)
    reason = clean_field(reason, field="reason", max_length=MAX_REASON, required=True)
    with transaction.atomic():
        locked = transitions.locked(
            Minutes, minutes.pk, TRANSITIONS, "correct", _("Only approved minutes are corrected.")
        )
        if Minutes.objects.filter(meeting_id=locked.meeting_id, number__gt=locked.number).exists():
            raise DomainError(_("A newer version of these minutes exists."), code="not_latest")
        correction = Minutes.objects.create(
            meeting_id=locked.meeting_id,
            number=locked.number + 1,
            body=locked.body,
            drafted_by=actor,
            drafted_at=now,
            updated_at=now,
            correction_reason=reason,
        )
        record_event(
            name="minutes.corrected", actor=actor, subject=correction, now=now, number=correction.number
        )
    return correction


MAX_PASTE = MAX_BODY


def paste_parse(*, meeting: Meeting, text: str) -> PasteResult:
    """Proposed action items and problem lines of ``text`` pasted for ``meeting``.

    Owners are matched by exact full name among active people (department preloaded);
    deadlines before the meeting's date (Shanghai) are refused by the parser.
    """

    def find_people(name: str):
        return list(Person.objects.filter(is_active=True, full_name=name).select_related("department")[:2])

    return parse_pasted_minutes(
        text, find_people=find_people, meeting_date=as_shanghai(meeting.starts_at).date()
    )


def minutes_paste_import(*, meeting: Meeting, text: str, actor, now: datetime) -> list[Decision]:
    """Create one decision per action item in minutes pasted from WPS or Word.

    Preconditions: ``actor`` is the meeting's recorder; ``text`` is at most ``MAX_PASTE``
    characters, proposes at least one item and has no line that fails to parse. Each item
    becomes a decision through ``records.services.decision_create`` (department: the owner's
    department; text: the task; deadline: the item's), which creates its action item and
    records ``decision.created``. All or nothing: a refused item (code/field of the refusal,
    message prefixed with its line number) leaves nothing saved.
    Records ``minutes.pasted`` with the decision ids.
    """
    _require_recorder(meeting, actor)
    text = clean_field(text, field="text", max_length=MAX_PASTE, required=True)
    result = paste_parse(meeting=meeting, text=text)
    if result.problems:
        raise DomainError(
            _("Correct the lines that could not be read first."), code="unparsed_lines", field="text"
        )
    if not result.actions:
        raise DomainError(_("No action items were found in the text."), code="no_items", field="text")
    decisions = []
    with transaction.atomic():
        for item in result.actions:
            try:
                decisions.append(
                    decision_create(
                        meeting=meeting,
                        text=item.task,
                        department=item.owner.department,
                        responsible=item.owner,
                        due_on=item.due_on,
                        actor=actor,
                        now=now,
                    )
                )
            except DomainError as err:
                raise DomainError(
                    _("Line %(line)s: %(reason)s"),
                    code=err.code,
                    field="text",
                    params={"line": item.line, "reason": str(err)},
                ) from err
        record_event(
            name="minutes.pasted", actor=actor, subject=meeting, now=now, decisions=[d.pk for d in decisions]
        )
    return decisions

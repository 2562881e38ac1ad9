"""Action items: created from effective decisions, worked on by their owner, followed up by
the owner department's liaison before each meeting (seed 01 第五条(二)4, seed 02 二、(三)).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close
from xietong.org.models import Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

from .models import ActionItem, ProgressReport

S = ActionItem.Status
OPEN_STATES = frozenset({S.OPEN, S.IN_PROGRESS})
MAX_TITLE = ActionItem._meta.get_field("title").max_length
MAX_EVIDENCE = ActionItem._meta.get_field("evidence").max_length
MAX_REASON = 300
MAX_NOTE = ProgressReport._meta.get_field("note").max_length

ERR_STATE = _("This step is not possible while the action item is “%(status)s”.")
ERR_TOO_LONG = _("Keep this under %(max)s characters (it has %(length)s).")


def _text(value: str | None, *, field: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    if len(value) > max_length:
        raise DomainError(
            ERR_TOO_LONG, code="too_long", field=field, params={"max": max_length, "length": len(value)}
        )
    return value


def _lock(item: ActionItem, states: frozenset[str]) -> ActionItem:
    locked = ActionItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if locked.status not in states:
        raise DomainError(ERR_STATE, code="wrong_state", params={"status": locked.get_status_display()})
    return locked


def _save(locked: ActionItem, original: ActionItem, now: datetime, fields: list[str]) -> ActionItem:
    fields = [*fields, "updated_at"]
    locked.updated_at = now
    locked.save(update_fields=fields)
    for name in fields:
        setattr(original, name, getattr(locked, name))
    return locked


def _require_owner(item: ActionItem, actor) -> None:
    if actor is None or actor.pk is None or actor.pk != item.owner_id:
        raise Forbidden(_("Only the owner of this action item may do this."))


def _require_coordinator(actor, now: datetime) -> None:
    if actor is None or not roles_of(actor, on=as_shanghai(now).date()).is_coordinator:
        raise Forbidden(_("Only the coordinator may do this."))


def _title(text: str) -> str:
    first = text.strip().splitlines()[0].strip()
    return first if len(first) <= MAX_TITLE else first[: MAX_TITLE - 1] + "…"


def action_create_from_decision(*, decision, actor, now: datetime) -> ActionItem:
    """The action item of an effective decision (called by records.services in its transaction).

    Preconditions: the decision is EFFECTIVE and has no action item yet.
    Side effects: an OPEN item for the decision's department, responsible person and
    deadline, titled by the decision's first line. Records ``action.created``.
    """
    from xietong.records.models import Decision

    if decision.status != Decision.Status.EFFECTIVE:
        raise DomainError(
            _("Only an effective decision creates an action item."), code="decision_not_effective"
        )
    with transaction.atomic():
        if ActionItem.objects.filter(decision=decision).exists():
            raise DomainError(_("This decision already has its action item."), code="already_created")
        item = ActionItem.objects.create(
            decision=decision,
            meeting_id=decision.meeting_id,
            title=_title(decision.text),
            department_id=decision.department_id,
            owner_id=decision.responsible_id,
            due_on=decision.due_on,
            status=S.OPEN,
            created_at=now,
            updated_at=now,
        )
        record_event(
            name="action.created",
            actor=actor,
            subject=item,
            now=now,
            decision=decision.pk,
            owner=item.owner_id,
            due_on=item.due_on.isoformat(),
        )
    return item


def action_start(*, item: ActionItem, actor, now: datetime) -> ActionItem:
    """The owner starts work. Preconditions: owner; OPEN. Side effects: IN_PROGRESS.
    Records ``action.started``."""
    _require_owner(item, actor)
    with transaction.atomic():
        locked = _lock(item, frozenset({S.OPEN}))
        locked.status = S.IN_PROGRESS
        _save(locked, item, now, ["status"])
        record_event(name="action.started", actor=actor, subject=locked, now=now)
    return item


def action_complete(*, item: ActionItem, evidence: str, actor, now: datetime) -> ActionItem:
    """The owner marks the item done with an evidence note.

    Preconditions: owner; OPEN or IN_PROGRESS; evidence 1–2000 characters.
    Side effects: DONE, ``done_at = now``. Records ``action.completed``.
    """
    _require_owner(item, actor)
    evidence = _text(evidence, field="evidence", max_length=MAX_EVIDENCE, required=True)
    with transaction.atomic():
        locked = _lock(item, OPEN_STATES)
        locked.status = S.DONE
        locked.evidence = evidence
        locked.done_at = now
        _save(locked, item, now, ["status", "evidence", "done_at"])
        record_event(name="action.completed", actor=actor, subject=locked, now=now)
    return item


def action_cancel(*, item: ActionItem, reason: str, actor, now: datetime) -> ActionItem:
    """The coordinator cancels an item that is no longer needed.

    Preconditions: coordinator; OPEN or IN_PROGRESS; a reason. Side effects: CANCELLED with
    the reason. Records ``action.cancelled``.
    """
    _require_coordinator(actor, now)
    reason = _text(reason, field="reason", max_length=MAX_REASON, required=True)
    with transaction.atomic():
        locked = _lock(item, OPEN_STATES)
        locked.status = S.CANCELLED
        locked.cancel_reason = reason
        _save(locked, item, now, ["status", "cancel_reason"])
        record_event(name="action.cancelled", actor=actor, subject=locked, now=now, reason=reason)
    return item


def action_reopen(*, item: ActionItem, reason: str, actor, now: datetime) -> ActionItem:
    """The coordinator reopens a done (or cancelled) item, e.g. when the evidence is not enough.

    Preconditions: coordinator; DONE or CANCELLED; a reason. Side effects: OPEN, ``done_at``
    cleared (the evidence stays readable until replaced). Records ``action.reopened``.
    """
    _require_coordinator(actor, now)
    reason = _text(reason, field="reason", max_length=MAX_REASON, required=True)
    with transaction.atomic():
        locked = _lock(item, frozenset({S.DONE, S.CANCELLED}))
        previous = locked.status
        locked.status = S.OPEN
        locked.done_at = None
        locked.cancel_reason = ""
        _save(locked, item, now, ["status", "done_at", "cancel_reason"])
        record_event(
            name="action.reopened", actor=actor, subject=locked, now=now, reason=reason, previous=previous
        )
    return item


def progress_report(
    *, item: ActionItem, status: str, actor, now: datetime, reason: str = "", note: str = ""
) -> ProgressReport:
    """The owner department's liaison reports progress before the next meeting.

    Preconditions: ``actor`` is the liaison of the item's department (delegations count);
    the item is OPEN or IN_PROGRESS; ``status`` done / in_progress / delayed (delayed needs a
    reason); note ≤ 2000 characters. The report does not change the item (only the owner
    marks it done, with evidence).
    Side effects: a ProgressReport for the series' next meeting (scheduled if needed).
    Records ``action.progress_reported``.
    """
    from xietong.meetings.services import series_next_meeting

    if actor is None or not roles_of(actor, on=as_shanghai(now).date()).has(Role.LIAISON, item.department_id):
        raise Forbidden(_("Only the liaison of the owner department may report progress."))
    if status not in ProgressReport.Status.values:
        raise DomainError(_("Choose the progress."), code="invalid_status", field="status")
    reason = _text(
        reason, field="reason", max_length=MAX_REASON, required=status == ProgressReport.Status.DELAYED
    )
    note = _text(note, field="note", max_length=MAX_NOTE, required=False)
    with transaction.atomic():
        locked = _lock(item, OPEN_STATES)
        series = locked.meeting.series
        for_meeting = series_next_meeting(series=series, now=now, actor=actor) if series else None
        report = ProgressReport.objects.create(
            action_item=locked,
            reporter=actor,
            status=status,
            reason=reason,
            note=note,
            reported_at=now,
            for_meeting=for_meeting,
        )
        record_event(
            name="action.progress_reported",
            actor=actor,
            subject=locked,
            now=now,
            status=status,
            reason=reason,
            for_meeting=for_meeting.pk if for_meeting else None,
        )
    return report


# ---- the next meeting's agenda ---------------------------------------------------------------


def agenda_followup_items(meeting, *, now: datetime | None = None) -> list[dict]:
    """The "上次会议决议跟进" rows of ``meeting``'s agenda: each open item decided at an earlier
    meeting of its series with the liaison's latest progress report and whether it is overdue
    at ``now`` (False when ``now`` is None). Read-only; two queries plus the calendar.

    The agenda app calls this lazily (agenda → actions would otherwise point the dependency
    the wrong way: actions depends on records → agenda).
    """
    from xietong.policy.selectors import business_calendar

    from .selectors import followup_for_meeting, is_overdue

    rows = followup_for_meeting(meeting)
    calendar = business_calendar() if rows and now is not None else None
    return [
        {
            "item": row.item,
            "report": row.report,
            "overdue": calendar is not None and is_overdue(row.item, now=now, calendar=calendar),
        }
        for row in rows
    ]


# ---- acknowledging the meeting's tasks ---------------------------------------------------------


def tasks_acknowledge(*, meeting, department, actor, now: datetime) -> Obligation:
    """The department's liaison acknowledges receipt of the tasks the meeting gave it
    (seed 01 第五条(二)4: within the policy's ``decision_ack`` minutes of the meeting).

    Preconditions: ``actor`` is the liaison of ``department`` (delegations count); the
    department has an open DECISION_ACK duty on ``meeting`` (opened by records.record_close).
    Side effects: the duty is closed — met if on time, breached (late, with its clause)
    otherwise, read from the ledger. Records ``action.tasks_acknowledged`` (late, clause).
    """
    from django.contrib.contenttypes.models import ContentType

    if actor is None or not roles_of(actor, on=as_shanghai(now).date()).has(Role.LIAISON, department.pk):
        raise Forbidden(_("Only the department's liaison may acknowledge its tasks."))
    with transaction.atomic():
        duty = (
            Obligation.objects.select_for_update(of=("self",))
            .filter(
                kind=ObligationKind.DECISION_ACK,
                subject_type=ContentType.objects.get_for_model(meeting),
                subject_id=meeting.pk,
                department=department,
                state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
                closed_at__isnull=True,
            )
            .order_by("-opened_at", "-id")
            .first()
        )
        if duty is None:
            raise DomainError(
                _("There is nothing to acknowledge for this department."), code="nothing_to_acknowledge"
            )
        closed = obligation_close(
            kind=ObligationKind.DECISION_ACK,
            subject=meeting,
            now=now,
            actor=actor,
            responsible=duty.responsible,
        )
        late = closed.state == Obligation.State.BREACHED
        record_event(
            name="action.tasks_acknowledged",
            actor=actor,
            subject=meeting,
            now=now,
            department=department.pk,
            late=late,
            clause=closed.clause,
        )
    return closed

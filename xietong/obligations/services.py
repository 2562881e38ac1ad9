"""Opening and closing obligations, always inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.transitions import Step
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import BusinessCalendar, CalendarResult, as_shanghai
from xietong.policy.selectors import business_calendar

from .models import Obligation
from .tick import ledger_tick

MAX_WAIVE_REASON = 300

OS = Obligation.State
OWNER = "owner"  # the service that owns the duty (topics, meetings, minutes …) or the ledger tick
COORDINATOR = "coordinator"

# action -> (the states it may start from, who takes it). A duty is open while ``closed_at`` is
# empty: pending, or breached by the tick and not yet done. "supersede" is an open duty replaced by
# a new one (waived, note "superseded"); "breach" is the tick's (tick.py, set-based:
# pending → breached past due).
TRANSITIONS: dict[str, Step] = {
    "close": transitions.step({OS.PENDING, OS.BREACHED}, OWNER),  # → met when on time, else breached (closed)
    "breach": transitions.step({OS.PENDING}, OWNER),  # → breached (still open)
    "waive": transitions.step({OS.PENDING}, OWNER),  # the work it was about went away → waived
    "supersede": transitions.step({OS.PENDING}, OWNER),  # → waived
    "waive_by_coordinator": transitions.step(
        {OS.PENDING, OS.BREACHED}, COORDINATOR
    ),  # → waived, with a reason
}


def warning_start(
    *, due_at: datetime, opened_at: datetime, rules, calendar: BusinessCalendar
) -> datetime | None:
    """When a duty turns yellow: ``warning_lead_days`` working days before it is due, or, for a
    duty whose whole span is shorter than that, ``warning_lead_short`` minutes before it.

    None when the policy sets neither rule (the duty stays green until it is late).
    """
    days = rules.count("warning_lead_days")
    short = rules.get("warning_lead_short")
    if days:
        start = calendar.add_working_days(due_at, -days).value
        if start > opened_at or short is None:
            return start
    if short is not None:
        return due_at - timedelta(minutes=short.minutes)
    return None


def reminder_schedule(
    *, due_at: datetime, opened_at: datetime, rules
) -> tuple[datetime | None, datetime | None, int]:
    """(next reminder, the one after it, last step already passed) for a duty opened at ``opened_at``.

    Reminders are plain clock minutes before the deadline (``reminder_first`` / ``reminder_second``).
    A reminder whose moment had passed before the duty existed is skipped, not sent late.
    """
    moments = []
    for step, key in ((1, "reminder_first"), (2, "reminder_second")):
        rule = rules.get(key)
        if rule is not None and rule.minutes:
            moments.append((step, due_at - timedelta(minutes=rule.minutes)))
    future = sorted((at, step) for step, at in moments if at > opened_at)
    passed = max((step for step, at in moments if at <= opened_at), default=0)
    # Steps are kept in order even if a policy set the "second" reminder before the first.
    future = [(at, step) for at, step in future if step > passed]
    first = future[0][0] if future else None
    second = future[1][0] if len(future) > 1 else None
    return first, second, passed


def obligation_open(
    *,
    kind: str,
    rule: str,
    subject: models.Model,
    due: CalendarResult,
    policy_version,
    now: datetime,
    responsible=None,
    department=None,
    calendar: BusinessCalendar | None = None,
) -> Obligation:
    """Open a duty ``kind`` on ``subject`` due at ``due`` under ``rule`` of ``policy_version``.

    The clause is read from the policy version, so the row keeps the wording it was
    computed under even after the policy changes. An existing pending duty of the same
    kind, subject, person and department is replaced (waived, note "superseded"), never
    duplicated — one liaison of two departments keeps one duty per department.
    The yellow moment and the reminders are computed here, from the same policy version.
    """
    rules = policy_version.rules
    rule_def = rules.get(rule)
    clause = rule_def.clause if rule_def else ""
    subject_type = ContentType.objects.get_for_model(subject)
    Obligation.objects.filter(
        subject_type=subject_type,
        subject_id=subject.pk,
        kind=kind,
        responsible=responsible,
        department=department,
        state=transitions.sole_state(TRANSITIONS, "supersede"),
    ).update(
        state=Obligation.State.WAIVED,
        closed_at=now,
        note="superseded",
        remind_at=None,
        remind_second_at=None,
    )
    due_at = due.value
    calendar = calendar or business_calendar()
    remind_at, remind_second_at, passed = reminder_schedule(due_at=due_at, opened_at=now, rules=rules)
    return Obligation.objects.create(
        kind=kind,
        rule=rule,
        clause=clause,
        policy_version=policy_version,
        responsible=responsible,
        department=department,
        subject_type=subject_type,
        subject_id=subject.pk,
        due_at=due_at,
        calendar_flagged=due.flagged,
        opened_at=now,
        warn_at=warning_start(due_at=due_at, opened_at=now, rules=rules, calendar=calendar),
        remind_at=remind_at,
        remind_second_at=remind_second_at,
        reminded_step=passed,
    )


def obligation_close(
    *, kind: str, subject: models.Model, now: datetime, actor=None, responsible=None, department=None
) -> Obligation | None:
    """Close the pending duty ``kind`` on ``subject``: met if on time, breached if late.

    Returns the closed obligation (so the caller can say "late under 第X条"), or None
    when there was no pending duty.
    """
    qs = Obligation.objects.select_for_update(of=("self",)).filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        kind=kind,
        state__in=TRANSITIONS["close"].states,
        closed_at__isnull=True,
    )
    if responsible is not None:
        qs = qs.filter(responsible=responsible)
    if department is not None:
        qs = qs.filter(department=department)
    obligation = qs.order_by("-opened_at", "-id").first()
    if obligation is None:
        return None
    obligation.state = Obligation.State.MET if now <= obligation.due_at else Obligation.State.BREACHED
    obligation.closed_at = now
    obligation.closed_by = actor if actor is not None and actor.pk else None
    obligation.remind_at = obligation.remind_second_at = None
    obligation.save(update_fields=["state", "closed_at", "closed_by", "remind_at", "remind_second_at"])
    return obligation


def obligation_waive(
    *, kind: str | None, subject: models.Model, now: datetime, note: str = "", department=None
) -> int:
    """Waive pending duties on ``subject`` (all kinds when ``kind`` is None) because the work
    they were about went away (topic withdrawn, meeting cancelled …)."""
    qs = Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        state=transitions.sole_state(TRANSITIONS, "waive"),
    )
    if kind is not None:
        qs = qs.filter(kind=kind)
    if department is not None:
        qs = qs.filter(department=department)
    return qs.update(
        state=Obligation.State.WAIVED, closed_at=now, note=note[:300], remind_at=None, remind_second_at=None
    )


def obligation_waive_by_coordinator(
    *, obligation: Obligation, reason: str, actor, now: datetime
) -> Obligation:
    """The coordinator releases someone from one open duty, with a reason.

    Preconditions: ``actor`` is the coordinator; the duty is open (pending, or breached and
    not yet done); a reason of 1–300 characters.
    Side effects: WAIVED, ``waived_by``/``closed_at``, the reason in ``note``; reminders stop.
    Records ``obligation.waived`` (reason, previous state).
    """
    require(
        actor is not None and roles_of(actor, on=as_shanghai(now).date()).is_coordinator,
        _("Only the coordinator may waive a duty."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for waiving this duty."), code="reason_required", field="reason")
    if len(reason) > MAX_WAIVE_REASON:
        raise DomainError(
            _("The reason is too long (at most %(max)s characters)."),
            code="reason_too_long",
            field="reason",
            params={"max": MAX_WAIVE_REASON},
        )
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        refusal = _("This duty is no longer open.")
        if locked.closed_at is not None:
            raise DomainError(refusal, code="not_open")
        transitions.refuse_unless(TRANSITIONS, "waive_by_coordinator", locked.state, refusal, code="not_open")
        previous = locked.state
        locked.state = Obligation.State.WAIVED
        locked.closed_at = now
        locked.waived_by = actor
        locked.note = reason
        locked.remind_at = locked.remind_second_at = None
        locked.save(
            update_fields=["state", "closed_at", "waived_by", "note", "remind_at", "remind_second_at"]
        )
        record_event(
            name="obligation.waived", actor=actor, subject=locked, now=now, reason=reason, previous=previous
        )
    return locked


# Count rules whose duty falls that many working days after it was opened.
_WORKING_DAYS_FROM_OPENING = frozenset({"leadership_approval_days"})


def _meeting_start(subject) -> datetime | None:
    """The start of the meeting a duty's deadline is counted back from: the subject's own start
    (a meeting) or its meeting's (a topic), read by attribute so the ledger imports neither."""
    start = getattr(subject, "starts_at", None)
    if start is None:
        meeting = getattr(subject, "meeting", None)
        start = getattr(meeting, "starts_at", None)
    return start if isinstance(start, datetime) else None


def recomputed_due(obligation: Obligation, calendar: BusinessCalendar) -> CalendarResult | None:
    """The deadline of ``obligation`` computed again from its own policy version and the
    calendar as it is now; None when the ledger cannot tell (a deadline set case by case)."""
    rules = obligation.policy_version.rules
    rule = rules.get(obligation.rule)
    if rule is None:
        return None
    if rule.is_deadline:
        start = _meeting_start(obligation.subject)
        return None if start is None else rules.deadline(obligation.rule, start, calendar)
    if obligation.rule in _WORKING_DAYS_FROM_OPENING and rule.count:
        return calendar.add_working_days(obligation.opened_at, rule.count)
    return None


def obligations_recompute_flagged(*, now: datetime, calendar: BusinessCalendar | None = None) -> int:
    """Open duties whose deadline was computed across a year without an official holiday
    schedule, computed again now that the calendar knows more (e.g. the coordinator entered the
    year's schedule). Returns how many changed.

    A pending duty gets its new deadline, flag, yellow moment and reminders (a reminder already
    sent is not sent again). A deadline that would now lie in the past keeps its former moment:
    nobody becomes late because a schedule was entered. Runs in the caller's transaction.
    """
    calendar = calendar or business_calendar()
    changed = 0
    flagged = (
        Obligation.objects.select_for_update(of=("self",))
        .filter(state=transitions.sole_state(TRANSITIONS, "supersede"), calendar_flagged=True)
        .select_related("policy_version")
        .prefetch_related("subject")
        .order_by("id")
    )
    for obligation in flagged:
        due = recomputed_due(obligation, calendar)
        if due is None:
            continue
        due_at = due.value if due.value > now or due.value == obligation.due_at else obligation.due_at
        if due_at == obligation.due_at and due.flagged == obligation.calendar_flagged:
            continue
        rules = obligation.policy_version.rules
        remind_at, remind_second_at, passed = reminder_schedule(due_at=due_at, opened_at=now, rules=rules)
        if passed < obligation.reminded_step:
            # Drop the moments of reminders already sent.
            moments = [m for m in (remind_at, remind_second_at) if m is not None]
            moments = moments[obligation.reminded_step - passed :]
            remind_at = moments[0] if moments else None
            remind_second_at = moments[1] if len(moments) > 1 else None
        obligation.due_at = due_at
        obligation.calendar_flagged = due.flagged
        obligation.warn_at = warning_start(
            due_at=due_at, opened_at=obligation.opened_at, rules=rules, calendar=calendar
        )
        obligation.remind_at = remind_at
        obligation.remind_second_at = remind_second_at
        obligation.reminded_step = max(obligation.reminded_step, passed)
        obligation.save(
            update_fields=[
                "due_at",
                "calendar_flagged",
                "warn_at",
                "remind_at",
                "remind_second_at",
                "reminded_step",
            ]
        )
        changed += 1
    return changed


def on_calendar_changed(*, event, subject, actor, now: datetime) -> dict:
    """Reaction to ``calendar.schedule_entered``: the open deadlines follow the new schedule."""
    return {"deadlines_recomputed": obligations_recompute_flagged(now=now)}


def obligations_mark_breached(*, now: datetime) -> int:
    """Scheduler tick: pending duties past their deadline become breached (still open).

    Kept for callers that only need the state change; the scheduler runs ``ledger_tick``.
    """
    return ledger_tick(now=now).breached

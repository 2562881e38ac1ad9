"""Action items: created from effective decisions, worked on by their owner, followed up by
the owner department's liaison before each meeting (seed 01 第五条(二)4, seed 02 二、(三)).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.text import clean_field
from xietong.core.transitions import Step, step
from xietong.meetings.models import Meeting
from xietong.meetings.services import series_next_meeting
from xietong.obligations.colours import action_deadline
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.org.models import Department, Role
from xietong.org.permissions import Roles, holders, roles_of
from xietong.policy.calendar import CalendarResult, as_shanghai
from xietong.policy.selectors import business_calendar
from xietong.records.models import Decision
from xietong.records.services import ack_duties_open

from .models import ActionItem, ProgressReport
from .selectors import FollowUps, followup_for_meeting

S = ActionItem.Status
OPEN_STATES = frozenset(ActionItem.OPEN_STATES)
MAX_TITLE = max_length(ActionItem, "title")
MAX_EVIDENCE = max_length(ActionItem, "evidence")
MAX_REASON = 300
MAX_NOTE = max_length(ProgressReport, "note")

ERR_STATE = _("This step is not possible while the action item is “%(status)s”.")

OWNER = "owner"
COORDINATOR = "coordinator"
LIAISON = "liaison"  # the liaison of the item's department

# action -> (the states it may start from, who may take it)
TRANSITIONS: dict[str, Step] = {
    "start": step({S.OPEN}, OWNER),
    "complete": step(OPEN_STATES, OWNER),
    "cancel": step(OPEN_STATES, COORDINATOR),
    "reopen": step({S.DONE, S.CANCELLED}, COORDINATOR),
    "report": step(OPEN_STATES, LIAISON),
}


def holds(role: str, item: ActionItem, person, *, roles: Roles) -> bool:
    """Whether ``person`` (holding ``roles`` today) takes ``role`` on ``item``."""
    if role == OWNER:
        return person is not None and person.pk is not None and person.pk == item.owner_id
    if role == COORDINATOR:
        return roles.is_coordinator
    return roles.has(Role.LIAISON, item.department_id)


def allowed_actions(item: ActionItem, person, *, roles: Roles) -> list[str]:
    """The steps ``person`` may take on ``item`` now (its state and their role both allow it)."""
    return transitions.allowed_actions(
        TRANSITIONS, item.status, lambda role: holds(role, item, person, roles=roles)
    )


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
    """The action item of an effective decision (a reaction to records' decision events, in
    their transaction: see the reactions at the end of this module).

    Preconditions: the decision is EFFECTIVE and has no action item yet.
    Side effects: an OPEN item for the decision's department, responsible person and
    deadline, titled by the decision's first line. Records ``action.created``.
    """
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
        _ledger_item_opened(item, now=now)
    return item


def action_start(*, item: ActionItem, actor, now: datetime) -> ActionItem:
    """The owner starts work. Preconditions: owner; OPEN. Side effects: IN_PROGRESS.
    Records ``action.started``."""
    _require_owner(item, actor)
    with transaction.atomic():
        locked = transitions.locked(ActionItem, item.pk, TRANSITIONS, "start", ERR_STATE)
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
    evidence = clean_field(evidence, field="evidence", max_length=MAX_EVIDENCE, required=True)
    with transaction.atomic():
        locked = transitions.locked(ActionItem, item.pk, TRANSITIONS, "complete", ERR_STATE)
        locked.status = S.DONE
        locked.evidence = evidence
        locked.done_at = now
        _save(locked, item, now, ["status", "evidence", "done_at"])
        record_event(name="action.completed", actor=actor, subject=locked, now=now)
        obligation_close(kind=ObligationKind.ACTION_DUE, subject=locked, now=now, actor=actor)
        _progress_duties_recheck(locked, now=now, actor=actor)
    return item


def action_cancel(*, item: ActionItem, reason: str, actor, now: datetime) -> ActionItem:
    """The coordinator cancels an item that is no longer needed.

    Preconditions: coordinator; OPEN or IN_PROGRESS; a reason. Side effects: CANCELLED with
    the reason. Records ``action.cancelled``.
    """
    _require_coordinator(actor, now)
    reason = clean_field(reason, field="reason", max_length=MAX_REASON, required=True)
    with transaction.atomic():
        locked = transitions.locked(ActionItem, item.pk, TRANSITIONS, "cancel", ERR_STATE)
        locked.status = S.CANCELLED
        locked.cancel_reason = reason
        _save(locked, item, now, ["status", "cancel_reason"])
        record_event(name="action.cancelled", actor=actor, subject=locked, now=now, reason=reason)
        obligation_waive(
            kind=ObligationKind.ACTION_DUE, subject=locked, now=now, note="action item cancelled"
        )
        _progress_duties_recheck(locked, now=now, actor=actor)
    return item


def action_reopen(*, item: ActionItem, reason: str, actor, now: datetime) -> ActionItem:
    """The coordinator reopens a done (or cancelled) item, e.g. when the evidence is not enough.

    Preconditions: coordinator; DONE or CANCELLED; a reason. Side effects: OPEN, ``done_at``
    cleared (the evidence stays readable until replaced). Records ``action.reopened``.
    """
    _require_coordinator(actor, now)
    reason = clean_field(reason, field="reason", max_length=MAX_REASON, required=True)
    with transaction.atomic():
        locked = transitions.locked(ActionItem, item.pk, TRANSITIONS, "reopen", ERR_STATE)
        previous = locked.status
        locked.status = S.OPEN
        locked.done_at = None
        locked.cancel_reason = ""
        _save(locked, item, now, ["status", "done_at", "cancel_reason"])
        record_event(
            name="action.reopened", actor=actor, subject=locked, now=now, reason=reason, previous=previous
        )
        _ledger_item_opened(locked, now=now)
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
    if actor is None or not roles_of(actor, on=as_shanghai(now).date()).has(Role.LIAISON, item.department_id):
        raise Forbidden(_("Only the liaison of the owner department may report progress."))
    if status not in ProgressReport.Status.values:
        raise DomainError(_("Choose the progress."), code="invalid_status", field="status")
    reason = clean_field(
        reason, field="reason", max_length=MAX_REASON, required=status == ProgressReport.Status.DELAYED
    )
    note = clean_field(note, field="note", max_length=MAX_NOTE, required=False)
    with transaction.atomic():
        locked = transitions.locked(ActionItem, item.pk, TRANSITIONS, "report", ERR_STATE)
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
        _progress_duties_recheck(locked, now=now, actor=actor)
    return report


# ---- the next meeting's agenda ---------------------------------------------------------------


def agenda_followup_items(meeting, *, now: datetime | None = None, calendar=None) -> FollowUps:
    """The "上次会议决议跟进" rows of ``meeting``'s agenda: each open item decided at an earlier
    meeting of its series with the liaison's latest progress report (``latest_report``) and
    whether it is overdue at ``now`` (``overdue``; False when ``now`` is None); ``more`` when
    further ones were left out (selectors.followup_for_meeting). Read-only.

    The agenda asks through its hook (agenda.services.followup_items, filled in
    ActionsConfig.ready): the action items come after the agenda in the cycle.
    """
    return followup_for_meeting(meeting, now=now, calendar=calendar)


# ---- acknowledging the meeting's tasks ---------------------------------------------------------


def tasks_acknowledge(*, meeting, department, actor, now: datetime) -> Obligation:
    """The department's liaison acknowledges receipt of the tasks the meeting gave it
    (seed 01 第五条(二)4: within the policy's ``decision_ack`` minutes of the meeting).

    Preconditions: ``actor`` is the liaison of ``department`` (delegations count); the
    department has an open DECISION_ACK duty on ``meeting`` (opened by records.record_close).
    Side effects: the duty is closed — met if on time, breached (late, with its clause)
    otherwise, read from the ledger. Records ``action.tasks_acknowledged`` (late, clause).
    """
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
            department=department,
        )
        if closed is None:
            raise DomainError(
                _("There is nothing to acknowledge for this department."), code="nothing_to_acknowledge"
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


# ---- the obligation ledger (issue #5) ----------------------------------------------------------
# An open action item carries two duties: ACTION_DUE (the owner, by the due date) and, for its
# department, PROGRESS_REPORT on each following meeting of the series (the liaison, by the
# policy's progress_report_cutoff before it). The progress duty is opened for the next meeting
# that exists when an item is created or reopened, and for every meeting scheduled later while
# the department still has open items (progress_duties_open, a reaction to meeting.scheduled).


# The owner's duty to finish by the decision's deadline has its own rule and clause in the policy
# (not the warning rule's, which is the coordinator's follow-up).
ACTION_DUE_RULE = "action_due"


def _ledger_item_opened(item: ActionItem, *, now: datetime) -> None:
    meeting = item.meeting
    calendar = business_calendar()
    obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule=ACTION_DUE_RULE,
        subject=item,
        due=CalendarResult(action_deadline(item.due_on, calendar)),
        policy_version=meeting.policy_version,
        now=now,
        responsible=item.owner,
        department=item.department,
        calendar=calendar,
    )
    if meeting.series_id is None:
        return
    following = (
        meeting.__class__.objects.filter(
            series_id=meeting.series_id, starts_at__gt=max(meeting.starts_at, now)
        )
        .exclude(status__in=["cancelled", "held"])
        .order_by("starts_at")
        .first()
    )
    if following is not None:
        progress_duties_open(
            meeting=following, now=now, department_ids=[item.department_id], calendar=calendar
        )


def _departments_to_report(meeting, department_ids=None) -> set[int]:
    """Departments with an open item decided at an earlier meeting of ``meeting``'s series that
    has no progress report for ``meeting`` yet."""
    qs = ActionItem.objects.filter(
        status__in=OPEN_STATES,
        meeting__series_id=meeting.series_id,
        meeting__starts_at__lt=meeting.starts_at,
    ).exclude(reports__for_meeting=meeting)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return set(qs.values_list("department_id", flat=True).distinct())


def progress_duties_open(*, meeting, now: datetime, department_ids=None, calendar=None) -> int:
    """Open a PROGRESS_REPORT duty on ``meeting`` for each department that has open items to
    report on (seed 01 第五条(二)4: the liaison reports progress before each meeting), unless
    it already has one. Due at the policy's ``progress_report_cutoff`` before the meeting; the
    responsible person is the department's liaison. Returns how many were opened.
    """
    if meeting.series_id is None or meeting.starts_at <= now:
        return 0
    wanted = _departments_to_report(meeting, department_ids)
    if not wanted:
        return 0
    version = meeting.policy_version
    calendar = calendar or business_calendar()
    due = version.rules.deadline("progress_report_cutoff", meeting.starts_at, calendar)
    # A meeting scheduled (or an item created) after the cut-off: nobody could have reported
    # in time, so there is no duty to breach.
    if due is None or due.value <= now:
        return 0
    have = set(
        Obligation.objects.filter(
            kind=ObligationKind.PROGRESS_REPORT,
            subject_type=ContentType.objects.get_for_model(meeting),
            subject_id=meeting.pk,
            department_id__in=wanted,
        )
        .exclude(state=Obligation.State.WAIVED)
        .values_list("department_id", flat=True)
    )
    opened = 0
    for department in Department.objects.filter(pk__in=wanted - have).order_by("pk"):
        liaisons = sorted(holders(Role.LIAISON, department.pk), key=lambda p: p.pk)
        obligation_open(
            kind=ObligationKind.PROGRESS_REPORT,
            rule="progress_report_cutoff",
            subject=meeting,
            due=due,
            policy_version=version,
            now=now,
            responsible=liaisons[0] if liaisons else None,
            department=department,
            calendar=calendar,
        )
        opened += 1
    return opened


def _progress_duties_recheck(item: ActionItem, *, now: datetime, actor) -> None:
    """After a report, completion or cancellation: the department's open progress duties on the
    series' coming meetings are met (everything reported) or waived (nothing left to report)."""
    if item.meeting.series_id is None:
        return
    duties = Obligation.objects.filter(
        kind=ObligationKind.PROGRESS_REPORT,
        subject_type=ContentType.objects.get_for_model(Meeting),
        department_id=item.department_id,
        state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
        closed_at__isnull=True,
    ).values_list("subject_id", flat=True)
    for meeting in Meeting.objects.filter(pk__in=list(duties), series_id=item.meeting.series_id):
        if _departments_to_report(meeting, [item.department_id]):
            continue
        reported = ProgressReport.objects.filter(
            for_meeting=meeting,
            action_item__department_id=item.department_id,
        ).exists()
        if reported:
            obligation_close(
                kind=ObligationKind.PROGRESS_REPORT,
                subject=meeting,
                now=now,
                actor=actor,
                department=item.department,
            )
        else:
            obligation_waive(
                kind=ObligationKind.PROGRESS_REPORT,
                subject=meeting,
                now=now,
                note="nothing left to report",
                department=item.department,
            )


# ---- reactions to the earlier stages' events (registered in ActionsConfig.ready) -----------------
# Run inside the earlier stage's transaction: a refusal here undoes its whole change.


def on_meeting_scheduled(*, event, subject: Meeting, actor, now: datetime) -> None:
    """Departments with open action items owe a progress report before the new meeting."""
    progress_duties_open(meeting=subject, now=now)


def on_decision_created(*, event, subject: Decision, actor, now: datetime) -> None:
    """An effective decision gets its action item at once (one awaiting the leadership waits)."""
    if subject.status == Decision.Status.EFFECTIVE:
        action_create_from_decision(decision=subject, actor=actor, now=now)


def on_decision_approved(*, event, subject: Decision, actor, now: datetime) -> None:
    """A decision the leadership approved gets its action item."""
    action_create_from_decision(decision=subject, actor=actor, now=now)


def on_record_closed(*, event, subject: Meeting, actor, now: datetime) -> dict:
    """Each department the meeting gave tasks acknowledges them (records.ack_duties_open)."""
    department_ids = sorted(
        set(ActionItem.objects.filter(meeting=subject).values_list("department_id", flat=True))
    )
    return ack_duties_open(subject, department_ids, now=now)

"""Topics (议题): drafting, head review, submission, triage, scheduling and roll-over.

The lifecycle (seed 01 第五条(二)4, 第五条(三)2, 第六条1)::

    DRAFT ──send_review──▶ IN_REVIEW ──approve──▶ APPROVED ──submit──▶ SUBMITTED ──triage──▶ TRIAGED
      ▲                       │ return (comment)                          │   │                │  ▲
      └───────────────────────┘                                           │   │     schedule ▼  │ unschedule
      ▲                       coordinator_return (reason) ◀───────────────┘   │           SCHEDULED
      └───────────────────────────────────────────────────────────────────────┘
    SUBMITTED/TRIAGED ──reject (reason)──▶ REJECTED
    anything before SCHEDULED ──withdraw (liaison)──▶ WITHDRAWN
    TRIAGED/SCHEDULED ──defer (to a later meeting, reason)──▶ TRIAGED  (roll-over)
    SCHEDULED ──done (item decided or closed at the meeting)──▶ DONE ──reopen──▶ SCHEDULED

Who: the department's liaison drafts, sends for review, submits, withdraws; the department's
head (or whoever holds the role by delegation) approves or returns; the coordinator triages,
returns, rejects, schedules and defers (scheduling and deferral are called by the agenda app);
the meeting's recorder (or host) marks a topic dealt with when its item is decided or closed,
and reopens it when that outcome is changed to a deferral before the record is closed
(called by the records app).

Duties in the ledger (xietong.obligations):
* create opens SUBMISSION (rule ``submission_cutoff``) for the author;
* send_review opens HEAD_REVIEW (rule ``head_review_cutoff``, when the policy has it) for the
  department's head; approve/return close it;
* submit closes SUBMISSION; withdraw and reject waive whatever is still open.
A late step is allowed: the closed duty is *breached* and the topic page shows "late" with the
clause, read back from the ledger. Drafting, review and approval may happen at any time; where
the policy sets a topic window (``topic_window_opens`` / ``topic_window_closes``, seed 01
第六条1), submission to the coordinator is refused outside it, so a topic that missed the
window waits for the next meeting's.

Target meeting: a new topic targets the series' next meeting that has not started, even when
that meeting's submission cut-off has already passed (the submission will then be late). When
the target meeting has started before the topic is sent for review or submitted, the topic
moves to the next meeting and its submission duty moves with it (the old one is waived, or
closed as breached if the scheduler had already found it late).

Every transition returns the topic as saved (and updates the instance passed in). The duty a
transition closed is available on the returned topic as ``closed_duty`` (None when none).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.optlock import check_and_bump
from xietong.core.text import clean_field
from xietong.meetings.models import Meeting
from xietong.meetings.services import series_open_meeting
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.org.models import Department, Role
from xietong.org.permissions import holders, roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar, current_version

from . import similarity
from .models import Topic

S = Topic.Status

# ---- the transition table ---------------------------------------------------------------

LIAISON = "liaison"
HEAD = "head"
COORDINATOR = "coordinator"
RECORDER = "recorder"  # the recorder or host of the topic's target meeting

# action -> (states it may start from, the role that may take it)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "edit": (frozenset({S.DRAFT}), LIAISON),
    "send_review": (frozenset({S.DRAFT}), LIAISON),
    "approve": (frozenset({S.IN_REVIEW}), HEAD),
    "return": (frozenset({S.IN_REVIEW}), HEAD),
    "submit": (frozenset({S.APPROVED}), LIAISON),
    "triage": (frozenset({S.SUBMITTED, S.TRIAGED}), COORDINATOR),
    "coordinator_return": (frozenset({S.SUBMITTED, S.TRIAGED}), COORDINATOR),
    "reject": (frozenset({S.SUBMITTED, S.TRIAGED}), COORDINATOR),
    "withdraw": (frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SUBMITTED, S.TRIAGED}), LIAISON),
    "schedule": (frozenset({S.TRIAGED}), COORDINATOR),
    "unschedule": (frozenset({S.SCHEDULED}), COORDINATOR),
    "defer": (frozenset({S.TRIAGED, S.SCHEDULED}), COORDINATOR),
    "done": (frozenset({S.TRIAGED, S.SCHEDULED}), RECORDER),
    "reopen": (frozenset({S.DONE}), RECORDER),
}

# Actions offered as buttons on the topic page (schedule/unschedule/defer live on the agenda).
PAGE_ACTIONS = (
    "edit",
    "send_review",
    "approve",
    "return",
    "submit",
    "triage",
    "coordinator_return",
    "reject",
    "withdraw",
)

# Statuses before the topic leaves its department: only the department sees them.
PRE_SUBMISSION = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})

REQUIRED_TEXT = ("title", "background", "collaboration_need", "expected_outcome", "initial_solution")
OPTIONAL_TEXT = ("w_what", "w_who", "w_when", "w_where", "w_why", "w_how")
TEXT_FIELDS = REQUIRED_TEXT + OPTIONAL_TEXT

ERR_STATE = _("This step is not possible while the topic is “%(status)s”.")


def _holds(role: str, topic: Topic, person, now: datetime) -> bool:
    if role == RECORDER:
        meeting = topic.meeting
        return (
            meeting is not None and person is not None and person.pk in (meeting.recorder_id, meeting.host_id)
        )
    roles = roles_of(person, on=as_shanghai(now).date())
    if role == COORDINATOR:
        return roles.is_coordinator
    if role == HEAD:
        return roles.has(Role.HEAD, topic.department_id)
    return roles.has(Role.LIAISON, topic.department_id)


def may(action: str, *, topic: Topic, person, now: datetime) -> bool:
    """Whether ``person`` holds the role for ``action`` on ``topic`` (regardless of its state)."""
    _states, role = TRANSITIONS[action]
    return _holds(role, topic, person, now)


def available_actions(*, topic: Topic, person, now: datetime) -> list[str]:
    """The page actions ``person`` may take on ``topic`` now (role and state both allow it)."""
    return [
        action
        for action in PAGE_ACTIONS
        if topic.status in TRANSITIONS[action][0] and may(action, topic=topic, person=person, now=now)
    ]


def _check(action: str, topic: Topic, actor, now: datetime) -> None:
    """Role first (Forbidden → 403, nothing changes), then state (DomainError)."""
    states, role = TRANSITIONS[action]
    if not _holds(role, topic, actor, now):
        raise Forbidden(_("You may not do this with this topic."), code=f"forbidden_{action}")
    if topic.status not in states:
        raise DomainError(ERR_STATE, code="wrong_state", params={"status": topic.get_status_display()})


def _lock(topic: Topic) -> Topic:
    # Locked first, then the role and the state are checked on what was read under the lock.
    return transitions.locked(Topic.objects.select_related("meeting__policy_version", "series"), topic.pk)


def _save(locked: Topic, original: Topic, now: datetime, fields: Iterable[str]) -> Topic:
    fields = [*fields, "updated_at"]
    locked.updated_at = now
    locked.save(update_fields=fields)
    if original is not locked:
        for name in fields:
            setattr(original, name, getattr(locked, name))
    return locked


def _clean_fields(values: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for name in TEXT_FIELDS:
        raw = (values.get(name) or "").strip()
        limit = max_length(Topic, name)
        cleaned[name] = clean_field(raw, field=name, max_length=limit, required=name in REQUIRED_TEXT)
    return cleaned


def _clean_departments(departments: Iterable[Department]) -> list[Department]:
    chosen = {d.pk: d for d in departments}
    if not chosen:
        raise DomainError(
            _("Name at least one department this topic involves."),
            code="departments_required",
            field="departments_involved",
        )
    active = set(Department.objects.filter(pk__in=chosen, is_active=True).values_list("pk", flat=True))
    if active != set(chosen):
        raise DomainError(
            _("Choose active departments only."), code="department_inactive", field="departments_involved"
        )
    return list(chosen.values())


def _tokens(fields: dict[str, str]) -> str:
    return similarity.token_string(fields["title"], fields["background"], fields["collaboration_need"])


def _reason(value: str, *, field: str, max_length: int) -> str:
    value = clean_field(value, field=field, max_length=max_length, required=False)
    if not value:
        raise DomainError(_("Give a reason."), code="reason_required", field=field)
    return value


# ---- ledger duties ------------------------------------------------------------------------


def _open_submission_duty(topic: Topic, now: datetime) -> Obligation | None:
    meeting = topic.meeting
    if meeting is None:
        return None
    version = meeting.policy_version
    due = version.rules.deadline("submission_cutoff", meeting.starts_at, business_calendar())
    if due is None:
        return None
    return obligation_open(
        kind=ObligationKind.SUBMISSION,
        rule="submission_cutoff",
        subject=topic,
        due=due,
        policy_version=version,
        now=now,
        responsible=topic.author,
        department=topic.department,
    )


def _open_head_review_duty(topic: Topic, now: datetime) -> Obligation | None:
    meeting = topic.meeting
    if meeting is None:
        return None
    version = meeting.policy_version
    due = version.rules.deadline("head_review_cutoff", meeting.starts_at, business_calendar())
    if due is None:
        return None  # this policy has no head-review cut-off (e.g. seed 02)
    head = next(iter(holders(Role.HEAD, topic.department_id)), None)
    return obligation_open(
        kind=ObligationKind.HEAD_REVIEW,
        rule="head_review_cutoff",
        subject=topic,
        due=due,
        policy_version=version,
        now=now,
        responsible=head,
        department=topic.department,
    )


def _retarget_if_started(topic: Topic, *, actor, now: datetime) -> bool:
    """Move ``topic`` to the series' next meeting when its target has started (or was cancelled).

    The submission duty moves along: the old one is waived (or, if the scheduler already
    found it late, closed as breached) and a new one opened for the new meeting.
    """
    meeting = topic.meeting
    if meeting is not None and meeting.starts_at > now and meeting.status != Meeting.Status.CANCELLED:
        return False
    topic.meeting = series_open_meeting(series=topic.series, now=now, actor=actor)
    obligation_waive(kind=ObligationKind.SUBMISSION, subject=topic, now=now, note="moved to a later meeting")
    obligation_close(kind=ObligationKind.SUBMISSION, subject=topic, now=now)
    _open_submission_duty(topic, now)
    return True


def _check_window(topic: Topic, now: datetime) -> None:
    """Submission only inside the target meeting's topic window, when its policy sets one."""
    meeting = topic.meeting
    if meeting is None:
        return
    rules = meeting.policy_version.rules
    calendar = business_calendar()
    opens = rules.deadline("topic_window_opens", meeting.starts_at, calendar)
    if opens is not None and now < opens.value:
        raise DomainError(
            _(
                "The topic window for this meeting opens at %(opens)s (%(clause)s). "
                "Until then the topic stays with your department; submit it then."
            ),
            code="window_not_open",
            params={"opens": _fmt(opens.value), "clause": rules.get("topic_window_opens").clause},
        )
    closes = rules.deadline("topic_window_closes", meeting.starts_at, calendar)
    if closes is not None and now > closes.value:
        raise DomainError(
            _(
                "The topic window for this meeting closed at %(closes)s (%(clause)s). "
                "Submit the topic in the next meeting's window."
            ),
            code="window_closed",
            params={"closes": _fmt(closes.value), "clause": rules.get("topic_window_closes").clause},
        )


def _fmt(moment: datetime) -> str:
    return date_format(as_shanghai(moment), "Y-m-d H:i")


def _duty_data(duty: Obligation | None) -> dict:
    if duty is None:
        return {}
    return {
        "duty": duty.kind,
        "late": duty.state == Obligation.State.BREACHED,
        "clause": duty.clause,
        "due": as_shanghai(duty.due_at).isoformat(),
    }


# ---- drafting -----------------------------------------------------------------------------


def topic_create(
    *,
    actor,
    now: datetime,
    department: Department,
    series,
    title: str,
    background: str,
    collaboration_need: str,
    expected_outcome: str,
    initial_solution: str,
    departments_involved: Iterable[Department],
    w_what: str = "",
    w_who: str = "",
    w_when: str = "",
    w_where: str = "",
    w_why: str = "",
    w_how: str = "",
) -> Topic:
    """Draft a topic for ``department`` (第六条1: background, need, departments, outcome, solution).

    Preconditions: ``actor`` is a liaison of ``department`` (Forbidden otherwise); the 第六条
    fields are filled and within their lengths; at least one department is involved (the
    topic's own department is implied); the series is active.
    Side effects: targets the series' next meeting (scheduling it if needed) even when its
    submission cut-off has passed; stores similarity tokens; opens the SUBMISSION duty for the
    author due at the meeting's ``submission_cutoff``. Records ``topic.created``.
    """
    if not roles_of(actor, on=as_shanghai(now).date()).has(Role.LIAISON, department.pk):
        raise Forbidden(_("Only the department's liaison may draft its topics."), code="forbidden_create")
    if series is None or not series.is_active:
        raise DomainError(_("Choose an active meeting series."), code="series_inactive", field="series")
    fields = _clean_fields(
        {
            "title": title,
            "background": background,
            "collaboration_need": collaboration_need,
            "expected_outcome": expected_outcome,
            "initial_solution": initial_solution,
            "w_what": w_what,
            "w_who": w_who,
            "w_when": w_when,
            "w_where": w_where,
            "w_why": w_why,
            "w_how": w_how,
        }
    )
    involved = _clean_departments(departments_involved)
    tokens = _tokens(fields)
    with transaction.atomic():
        meeting = series_open_meeting(series=series, now=now, actor=actor)
        topic = Topic.objects.create(
            department=department,
            author=actor,
            series=series,
            meeting=meeting,
            status=S.DRAFT,
            tokens=tokens,
            created_at=now,
            updated_at=now,
            **fields,
        )
        topic.departments_involved.set(involved)
        duty = _open_submission_duty(topic, now)
        record_event(
            name="topic.created",
            actor=actor,
            subject=topic,
            now=now,
            meeting=meeting.pk,
            submission_due=as_shanghai(duty.due_at).isoformat() if duty else None,
        )
    return topic


def topic_update(
    *,
    topic: Topic,
    actor,
    now: datetime,
    departments_involved: Iterable[Department] | None = None,
    expected_version: int | None = None,
    **values: str,
) -> Topic:
    """Change a draft's text (and the departments involved).

    Preconditions: the topic is a draft (new or returned); ``actor`` is a liaison of its
    department; ``expected_version`` (from the edit form) is the topic's ``edit_version`` —
    if someone saved since the editor opened the form, ``StaleEdit`` (code "stale") is raised
    and nothing changes. Only the fields given change; the similarity tokens are recomputed;
    the edit version rises. Records ``topic.updated`` with the names of the fields that changed.
    """
    unknown = set(values) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown topic fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = _lock(topic)
        _check("edit", locked, actor, now)
        bumped = check_and_bump(locked, expected_version)
        current = {name: getattr(locked, name) for name in TEXT_FIELDS}
        fields = _clean_fields({**current, **values})
        changed = [name for name in TEXT_FIELDS if fields[name] != current[name]]
        for name in changed:
            setattr(locked, name, fields[name])
        locked.tokens = _tokens(fields)
        if departments_involved is not None:
            involved = _clean_departments(departments_involved)
            before = set(locked.departments_involved.values_list("pk", flat=True))
            if before != {d.pk for d in involved}:
                locked.departments_involved.set(involved)
                changed.append("departments_involved")
        _save(locked, topic, now, [*[c for c in changed if c != "departments_involved"], "tokens", *bumped])
        record_event(name="topic.updated", actor=actor, subject=locked, now=now, fields=changed)
    locked.closed_duty = None
    return locked


# ---- department: review and submission ----------------------------------------------------


def topic_send_for_review(*, topic: Topic, actor, now: datetime) -> Topic:
    """The liaison sends a draft to the department head (第五条(三)2).

    Preconditions: DRAFT; ``actor`` is a liaison of the department.
    Side effects: IN_REVIEW; moves to the next meeting if the target has started; clears the
    last return comment/reason (kept in the history); opens HEAD_REVIEW for the department's
    head due at ``head_review_cutoff`` when the policy has that rule.
    Records ``topic.sent_for_review``.
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("send_review", locked, actor, now)
        moved = _retarget_if_started(locked, actor=actor, now=now)
        locked.status = S.IN_REVIEW
        locked.head_comment = ""
        locked.coordinator_reason = ""
        _save(locked, topic, now, ["status", "head_comment", "coordinator_reason", "meeting"])
        duty = _open_head_review_duty(locked, now)
        record_event(
            name="topic.sent_for_review",
            actor=actor,
            subject=locked,
            now=now,
            meeting=locked.meeting_id,
            moved_to_next_meeting=moved,
            review_due=as_shanghai(duty.due_at).isoformat() if duty else None,
        )
    locked.closed_duty = None
    return locked


def topic_approve(*, topic: Topic, actor, now: datetime, comment: str = "") -> Topic:
    """The department head approves the topic for submission (第五条(三)2).

    Preconditions: IN_REVIEW; ``actor`` holds Role.HEAD for the department (or by delegation).
    A late approval is allowed and recorded as late in the ledger.
    Side effects: APPROVED; the optional comment is kept; HEAD_REVIEW closed (met or breached).
    Records ``topic.approved`` (with late/clause when a duty was closed).
    """
    comment = clean_field(
        comment, field="comment", required=False, max_length=max_length(Topic, "head_comment")
    )
    with transaction.atomic():
        locked = _lock(topic)
        _check("approve", locked, actor, now)
        locked.status = S.APPROVED
        locked.head_comment = comment
        _save(locked, topic, now, ["status", "head_comment"])
        duty = obligation_close(kind=ObligationKind.HEAD_REVIEW, subject=locked, now=now, actor=actor)
        record_event(
            name="topic.approved", actor=actor, subject=locked, now=now, comment=comment, **_duty_data(duty)
        )
    locked.closed_duty = topic.closed_duty = duty
    return locked


def topic_return(*, topic: Topic, actor, now: datetime, comment: str) -> Topic:
    """The department head returns the topic to the liaison with a required comment.

    Preconditions: IN_REVIEW; ``actor`` holds Role.HEAD for the department; a comment.
    Side effects: DRAFT with ``head_comment``; HEAD_REVIEW closed (the head did review);
    the SUBMISSION duty stays open. Records ``topic.returned``.
    """
    comment = _reason(comment, field="comment", max_length=max_length(Topic, "head_comment"))
    with transaction.atomic():
        locked = _lock(topic)
        _check("return", locked, actor, now)
        locked.status = S.DRAFT
        locked.head_comment = comment
        _save(locked, topic, now, ["status", "head_comment"])
        duty = obligation_close(kind=ObligationKind.HEAD_REVIEW, subject=locked, now=now, actor=actor)
        record_event(
            name="topic.returned", actor=actor, subject=locked, now=now, comment=comment, **_duty_data(duty)
        )
    locked.closed_duty = topic.closed_duty = duty
    return locked


def topic_submit(*, topic: Topic, actor, now: datetime) -> Topic:
    """The liaison submits the approved topic to the coordinator (第五条(二)4).

    Preconditions: APPROVED; ``actor`` is a liaison of the department; inside the target
    meeting's topic window when the policy sets one (refused before it opens and after it
    closes). A submission after the cut-off is allowed and recorded as late (breached) in the
    ledger under its clause.
    Side effects: SUBMITTED, ``submitted_at``; moves to the next meeting first if the target
    has started; SUBMISSION closed (met or breached). Records ``topic.submitted``.
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("submit", locked, actor, now)
        moved = _retarget_if_started(locked, actor=actor, now=now)
        _check_window(locked, now)
        locked.status = S.SUBMITTED
        locked.submitted_at = now
        _save(locked, topic, now, ["status", "submitted_at", "meeting"])
        duty = obligation_close(kind=ObligationKind.SUBMISSION, subject=locked, now=now, actor=actor)
        record_event(
            name="topic.submitted",
            actor=actor,
            subject=locked,
            now=now,
            meeting=locked.meeting_id,
            moved_to_next_meeting=moved,
            **_duty_data(duty),
        )
    locked.closed_duty = topic.closed_duty = duty
    return locked


def topic_withdraw(*, topic: Topic, actor, now: datetime, reason: str = "") -> Topic:
    """The liaison withdraws the topic before it is on an agenda.

    Preconditions: DRAFT, IN_REVIEW, APPROVED, SUBMITTED or TRIAGED; ``actor`` is a liaison of
    the department. Side effects: WITHDRAWN; every open duty on the topic is waived.
    Records ``topic.withdrawn``.
    """
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        locked = _lock(topic)
        _check("withdraw", locked, actor, now)
        previous = locked.status
        locked.status = S.WITHDRAWN
        _save(locked, topic, now, ["status"])
        waived = obligation_waive(kind=None, subject=locked, now=now, note="topic withdrawn")
        record_event(
            name="topic.withdrawn",
            actor=actor,
            subject=locked,
            now=now,
            reason=reason,
            was=previous,
            waived=waived,
        )
    locked.closed_duty = None
    return locked


# ---- coordinator --------------------------------------------------------------------------


def _policy_rules(topic: Topic):
    if topic.meeting is not None:  # no query when the topic has no meeting
        return topic.meeting.policy_version.rules
    return current_version(topic.series.policy).rules


def topic_triage(
    *,
    topic: Topic,
    actor,
    now: datetime,
    category: str,
    priority: int | str,
    budget_minutes: int | None = None,
) -> Topic:
    """The coordinator classifies the topic and gives it a time budget (第六条1).

    Preconditions: SUBMITTED (or TRIAGED, to change the triage); ``actor`` is the coordinator;
    ``category``/``priority`` are valid choices; the budget (default: the policy's
    ``default_item_budget``) is at least 1 minute and at most the meeting cap.
    Side effects: TRIAGED with category, priority, budget. Records ``topic.triaged``.
    """
    if category not in Topic.Category.values:
        raise DomainError(_("Choose a category."), code="category_invalid", field="category")
    try:
        level: int | None = int(priority)
    except (TypeError, ValueError):
        level = None
    if level not in Topic.Priority.values:
        raise DomainError(_("Choose a priority."), code="priority_invalid", field="priority")
    with transaction.atomic():
        locked = _lock(topic)
        _check("triage", locked, actor, now)
        rules = _policy_rules(locked)
        if budget_minutes is None:
            budget_minutes = rules.minutes("default_item_budget")
        cap_rule = rules.get("meeting_duration_cap")
        cap = cap_rule.minutes if cap_rule else None
        if budget_minutes < 1 or (cap is not None and budget_minutes > cap):
            raise DomainError(
                _("The time budget must be between 1 and %(cap)s minutes (%(clause)s)."),
                code="budget_invalid",
                field="budget_minutes",
                params={"cap": cap, "clause": cap_rule.clause if cap_rule else ""},
            )
        locked.status = S.TRIAGED
        locked.category = category
        locked.priority = level
        locked.budget_minutes = budget_minutes
        locked.coordinator_reason = ""
        _save(locked, topic, now, ["status", "category", "priority", "budget_minutes", "coordinator_reason"])
        record_event(
            name="topic.triaged",
            actor=actor,
            subject=locked,
            now=now,
            category=category,
            priority=level,
            budget_minutes=budget_minutes,
        )
    locked.closed_duty = None
    return locked


def topic_coordinator_return(*, topic: Topic, actor, now: datetime, reason: str) -> Topic:
    """The coordinator sends the topic back to its department to rework, with a required reason.

    Preconditions: SUBMITTED or TRIAGED; ``actor`` is the coordinator; a reason.
    Side effects: DRAFT with ``coordinator_reason``; the department reviews and submits it again
    (the cut-offs of its target meeting apply). Records ``topic.returned_by_coordinator``.
    """
    reason = _reason(reason, field="reason", max_length=max_length(Topic, "coordinator_reason"))
    with transaction.atomic():
        locked = _lock(topic)
        _check("coordinator_return", locked, actor, now)
        previous = locked.status
        locked.status = S.DRAFT
        locked.coordinator_reason = reason
        _save(locked, topic, now, ["status", "coordinator_reason"])
        record_event(
            name="topic.returned_by_coordinator",
            actor=actor,
            subject=locked,
            now=now,
            reason=reason,
            was=previous,
        )
    locked.closed_duty = None
    return locked


def topic_reject(*, topic: Topic, actor, now: datetime, reason: str) -> Topic:
    """The coordinator rejects the topic with a required reason.

    Preconditions: SUBMITTED or TRIAGED; ``actor`` is the coordinator; a reason.
    Side effects: REJECTED with ``coordinator_reason``; open duties waived. Records ``topic.rejected``.
    """
    reason = _reason(reason, field="reason", max_length=max_length(Topic, "coordinator_reason"))
    with transaction.atomic():
        locked = _lock(topic)
        _check("reject", locked, actor, now)
        locked.status = S.REJECTED
        locked.coordinator_reason = reason
        _save(locked, topic, now, ["status", "coordinator_reason"])
        obligation_waive(kind=None, subject=locked, now=now, note="topic rejected")
        record_event(name="topic.rejected", actor=actor, subject=locked, now=now, reason=reason)
    locked.closed_duty = None
    return locked


# ---- agenda placement (called by the agenda app) ------------------------------------------


def topic_schedule(*, topic: Topic, actor, now: datetime) -> Topic:
    """Mark the topic as placed on its target meeting's agenda.

    Preconditions: TRIAGED with a target meeting; ``actor`` is the coordinator.
    Side effects: SCHEDULED. Records ``topic.scheduled``.
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("schedule", locked, actor, now)
        if locked.meeting_id is None:
            raise DomainError(_("The topic has no target meeting."), code="no_meeting")
        locked.status = S.SCHEDULED
        _save(locked, topic, now, ["status"])
        record_event(name="topic.scheduled", actor=actor, subject=locked, now=now, meeting=locked.meeting_id)
    locked.closed_duty = None
    return locked


def topic_unschedule(*, topic: Topic, actor, now: datetime) -> Topic:
    """Take the topic off the agenda again: back to TRIAGED, same target meeting.

    Preconditions: SCHEDULED; ``actor`` is the coordinator. Records ``topic.unscheduled``.
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("unschedule", locked, actor, now)
        locked.status = S.TRIAGED
        _save(locked, topic, now, ["status"])
        record_event(
            name="topic.unscheduled", actor=actor, subject=locked, now=now, meeting=locked.meeting_id
        )
    locked.closed_duty = None
    return locked


def topic_defer(*, topic: Topic, to_meeting, reason: str, actor, now: datetime) -> Topic:
    """Roll the topic over: it is not placed on this agenda and targets ``to_meeting`` instead.

    Preconditions: TRIAGED (or SCHEDULED, which is taken off the agenda); ``actor`` is the
    coordinator; a reason (the submitter sees it on the topic page); ``to_meeting`` starts
    after the current target and is not cancelled.
    Side effects: TRIAGED, ``meeting = to_meeting``, ``rollover_count`` + 1, ``deferral_reason``.
    Records ``topic.rolled_over`` (from, to, reason).
    """
    reason = _reason(reason, field="reason", max_length=max_length(Topic, "deferral_reason"))
    with transaction.atomic():
        locked = _lock(topic)
        _check("defer", locked, actor, now)
        current = locked.meeting
        if to_meeting is None or to_meeting.status == Meeting.Status.CANCELLED:
            raise DomainError(
                _("Choose a meeting that will take place."), code="meeting_invalid", field="to_meeting"
            )
        if current is not None and (to_meeting.pk == current.pk or to_meeting.starts_at <= current.starts_at):
            raise DomainError(
                _("Defer to a meeting after the current one."), code="meeting_not_later", field="to_meeting"
            )
        locked.status = S.TRIAGED
        locked.meeting = to_meeting
        locked.rollover_count += 1
        locked.deferral_reason = reason
        _save(locked, topic, now, ["status", "meeting", "rollover_count", "deferral_reason"])
        record_event(
            name="topic.rolled_over",
            actor=actor,
            subject=locked,
            now=now,
            from_meeting=current.pk if current else None,
            to_meeting=to_meeting.pk,
            reason=reason,
            count=locked.rollover_count,
        )
    locked.closed_duty = None
    return locked


# ---- the meeting (called by the records app) ----------------------------------------------


def topic_mark_done(*, topic: Topic, outcome: str, actor, now: datetime) -> Topic:
    """The topic was dealt with at its meeting: its agenda item was decided or closed.

    Preconditions: SCHEDULED (or TRIAGED); ``actor`` is the recorder or host of the topic's
    target meeting. Called inside the item record's transaction.
    Side effects: DONE. Records ``topic.done`` (outcome, meeting).
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("done", locked, actor, now)
        locked.status = S.DONE
        _save(locked, topic, now, ["status"])
        record_event(
            name="topic.done",
            actor=actor,
            subject=locked,
            now=now,
            outcome=outcome,
            meeting=locked.meeting_id,
        )
    locked.closed_duty = None
    return locked


def topic_reopen(*, topic: Topic, actor, now: datetime) -> Topic:
    """Undo ``topic_mark_done``: the item's outcome was changed before the record was closed.

    Preconditions: DONE; ``actor`` is the recorder or host of the topic's target meeting.
    Side effects: SCHEDULED again (on the same meeting). Records ``topic.reopened``.
    """
    with transaction.atomic():
        locked = _lock(topic)
        _check("reopen", locked, actor, now)
        locked.status = S.SCHEDULED
        _save(locked, topic, now, ["status"])
        record_event(name="topic.reopened", actor=actor, subject=locked, now=now, meeting=locked.meeting_id)
    locked.closed_duty = None
    return locked


# ---- materials (议题资料): see attachments.py -------------------------------------------------

from .attachments import may_change as may_change_attachments  # noqa: E402, F401
from .attachments import topic_attach, topic_attachment_remove  # noqa: E402, F401

"""Writing cross-department requests: types, and each step of a request's life.

A request is submitted to a receiving department, whose liaison, head or deputy answers it: they
accept it (with the date they commit to) or refuse it (with a category and a reason). The answer
is due within the response time of the type's regulation (``request_response``, counted in clock
or working hours as ``request_response_clock`` says): that duty is one row in the ledger
(REQUEST_RESPONSE, on the receiving department), opened at submission and closed by the answer.
Accepted work is delivered, and the requester confirms it (rating the help 1–5) or reopens it with
a reason. Every step locks the request row first, so two people answering at once are taken one
after the other and the second is told the request was already answered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.transitions import Step
from xietong.obligations.colours import action_deadline
from xietong.obligations.models import ObligationKind
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.org.models import Department, Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import CalendarResult, as_shanghai
from xietong.policy.models import Policy, PolicyVersion
from xietong.policy.selectors import business_calendar, current_version

from .models import CollaborationRequest, RefusalCategory, RequestType

RS = CollaborationRequest.Status
REQUESTER = "requester"
RECEIVER = "receiver"  # liaison, head or deputy of the receiving department

# action -> (the states it may start from, who takes it). Refused, closed and withdrawn requests
# start no step.
TRANSITIONS: dict[str, Step] = {
    "accept": transitions.step({RS.SUBMITTED}, RECEIVER),
    "refuse": transitions.step({RS.SUBMITTED}, RECEIVER),
    "reassign": transitions.step({RS.SUBMITTED}, RECEIVER),  # the response clock keeps running
    "withdraw": transitions.step({RS.SUBMITTED}, REQUESTER),
    "deliver": transitions.step({RS.ACCEPTED}, RECEIVER),
    "confirm": transitions.step({RS.DELIVERED}, REQUESTER),
    "reopen": transitions.step({RS.DELIVERED}, REQUESTER),
}
RESPONSE_RULE = "request_response"
DELIVERY_RULE = "request_delivery"
CLOCK_RULE = "request_response_clock"
RECEIVER_ROLES = (Role.LIAISON, Role.HEAD, Role.DEPUTY)
MAX_TITLE = 120
MAX_CONTENT = 4000
MAX_NOTE = 500
MAX_DELIVERY = 2000
WRONG_STATE = _("This request is “%(status)s”: this step is not possible now.")


# ---- who ----------------------------------------------------------------------------------


def is_receiver(person, request: CollaborationRequest, *, now: datetime) -> bool:
    """Whether ``person`` answers for the receiving department (liaison, head or deputy, or acting
    for one of them on that day)."""
    roles = roles_of(person, on=as_shanghai(now).date())
    return any(roles.has(role, request.to_department_id) for role in RECEIVER_ROLES)


def _holds(person, request: CollaborationRequest, now: datetime):
    def holds(role: str) -> bool:
        if role == REQUESTER:
            return person.pk == request.requester_id
        return is_receiver(person, request, now=now)

    return holds


def request_actions(request: CollaborationRequest, person, *, now: datetime) -> list[str]:
    """The steps ``person`` may take on ``request`` now: the page's buttons."""
    return transitions.allowed_actions(TRANSITIONS, request.status, _holds(person, request, now))


def _step(request: CollaborationRequest, action: str, actor, now: datetime) -> CollaborationRequest:
    """The request locked, refused unless ``actor`` holds the step's role and the state allows it."""
    require(
        _holds(actor, request, now)(TRANSITIONS[action].role),
        _("Only the requester may do this.")
        if TRANSITIONS[action].role == REQUESTER
        else _("Only the liaison, head or deputy of the receiving department may answer this request."),
    )
    return transitions.locked(CollaborationRequest, request.pk, TRANSITIONS, action, WRONG_STATE)


# ---- types --------------------------------------------------------------------------------


def request_type_create(
    *, actor, now: datetime, key: str, name: str, policy: Policy, default_department: Department | None = None
) -> RequestType:
    """The coordinator defines a kind of request and the regulation it runs under.

    Refused unless the regulation sets the response time (``request_response``).
    Records ``request_type.created``.
    """
    require(actor is not None and (roles_of(actor).is_coordinator or actor.is_superuser))
    if current_version(policy).rules.get(RESPONSE_RULE) is None:
        raise DomainError(
            _("The regulation “%(policy)s” sets no response time for requests."),
            code="no_response_rule",
            field="policy",
            params={"policy": policy.name},
        )
    if RequestType.objects.filter(key=key).exists():
        raise DomainError(_("A request type with this key exists."), code="duplicate_key", field="key")
    with transaction.atomic():
        request_type = RequestType.objects.create(
            key=key, name=name, policy=policy, default_department=default_department
        )
        record_event(name="request_type.created", actor=actor, subject=request_type, now=now, key=key)
    return request_type


# ---- the response duty --------------------------------------------------------------------


def response_due(version: PolicyVersion, submitted_at: datetime, calendar=None) -> CalendarResult:
    """When the answer to a request submitted at ``submitted_at`` is due under ``version``."""
    rules = version.rules
    minutes = rules.minutes(RESPONSE_RULE)
    if rules.choice(CLOCK_RULE) == "working":
        return (calendar or business_calendar()).add_working_minutes(submitted_at, minutes)
    return CalendarResult(submitted_at + timedelta(minutes=minutes), frozenset())


# ---- steps --------------------------------------------------------------------------------


def _require_text(value: str, field: str, message: Any, *, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code=f"missing_{field}", field=field)
    if len(value) > limit:
        raise DomainError(
            _("At most %(limit)s characters."), code=f"long_{field}", field=field, params={"limit": limit}
        )
    return value


def request_submit(
    *,
    actor,
    now: datetime,
    request_type: RequestType,
    to_department: Department | None,
    title: str,
    content: str,
    expected_by: date | None,
    support_needed: str = "",
) -> CollaborationRequest:
    """A member of a department asks another department for support.

    Preconditions: the actor belongs to a department; the type is in use; a receiving department
    other than the actor's own; a title and content; an expected date not before today.
    Side effects: the request (submitted); the receiving department's response duty in the ledger
    (REQUEST_RESPONSE under ``request_response``). Records ``request.submitted``.
    """
    require(
        actor is not None and actor.department_id is not None,
        _("Only members of a department may file requests."),
    )
    if not request_type.is_active:
        raise DomainError(
            _("This request type is no longer in use."), code="inactive_type", field="request_type"
        )
    if to_department is None:
        raise DomainError(
            _("Choose the receiving department."), code="missing_to_department", field="to_department"
        )
    if to_department.pk == actor.department_id:
        raise DomainError(
            _("A request goes to another department, not your own."),
            code="own_department",
            field="to_department",
        )
    title = _require_text(title, "title", _("Give the request a title."), limit=MAX_TITLE)
    content = _require_text(content, "content", _("Say what is needed."), limit=MAX_CONTENT)
    support_needed = (support_needed or "").strip()[:MAX_NOTE]
    if expected_by is None:
        raise DomainError(_("Say by when it is needed."), code="missing_expected_by", field="expected_by")
    if expected_by < as_shanghai(now).date():
        raise DomainError(
            _("The expected completion date is in the past."), code="past_expected_by", field="expected_by"
        )
    version = current_version(request_type.policy)
    with transaction.atomic():
        request = CollaborationRequest.objects.create(
            type=request_type,
            policy_version=version,
            requester=actor,
            from_department_id=actor.department_id,
            to_department=to_department,
            title=title,
            content=content,
            support_needed=support_needed,
            expected_by=expected_by,
            submitted_at=now,
        )
        calendar = business_calendar()
        duty = obligation_open(
            kind=ObligationKind.REQUEST_RESPONSE,
            rule=RESPONSE_RULE,
            subject=request,
            due=response_due(version, now, calendar),
            policy_version=version,
            now=now,
            department=to_department,
            calendar=calendar,
        )
        record_event(
            name="request.submitted",
            actor=actor,
            subject=request,
            now=now,
            to_department=to_department.pk,
            due_at=duty.due_at.isoformat(),
            clause=duty.clause,
        )
    return request


def _open_delivery(request: CollaborationRequest, now: datetime) -> None:
    """The receiving department's duty to deliver by the end of the committed day (when the
    regulation sets ``request_delivery``)."""
    if request.committed_by is None or request.policy_version.rules.get(DELIVERY_RULE) is None:
        return
    calendar = business_calendar()
    obligation_open(
        kind=ObligationKind.REQUEST_DELIVERY,
        rule=DELIVERY_RULE,
        subject=request,
        due=CalendarResult(action_deadline(request.committed_by, calendar)),
        policy_version=request.policy_version,
        now=now,
        department=request.to_department,
        calendar=calendar,
    )


def _close_response(request: CollaborationRequest, actor, now: datetime) -> dict[str, Any]:
    duty = obligation_close(
        kind=ObligationKind.REQUEST_RESPONSE,
        subject=request,
        now=now,
        actor=actor,
        department=request.to_department,
    )
    if duty is None:
        return {}
    return {"late": duty.state == duty.State.BREACHED, "clause": duty.clause}


def request_accept(
    *, request: CollaborationRequest, actor, now: datetime, committed_by: date | None, note: str = ""
) -> CollaborationRequest:
    """The receiving department accepts, committing to a completion date.

    Preconditions: the actor answers for the receiving department; the request awaits a response;
    a committed date not before today; a committed date later than the requester asked for needs
    a reason (``note``).
    Side effects: ACCEPTED; the response duty closes (met, or breached when late).
    Records ``request.accepted`` (with ``late`` when the answer came after the deadline).
    """
    if committed_by is None:
        raise DomainError(
            _("Give the date you commit to."), code="missing_committed_by", field="committed_by"
        )
    if committed_by < as_shanghai(now).date():
        raise DomainError(
            _("The committed date is in the past."), code="past_committed_by", field="committed_by"
        )
    note = (note or "").strip()
    if committed_by > request.expected_by and not note:
        raise DomainError(
            _("The committed date is later than the requester asked for: give the reason."),
            code="missing_note",
            field="note",
        )
    with transaction.atomic():
        request = _step(request, "accept", actor, now)
        request.status = RS.ACCEPTED
        request.responded_at = now
        request.committed_by = committed_by
        request.response_note = note[:MAX_NOTE]
        request.save(update_fields=["status", "responded_at", "committed_by", "response_note"])
        facts = _close_response(request, actor, now)
        _open_delivery(request, now)
        record_event(
            name="request.accepted",
            actor=actor,
            subject=request,
            now=now,
            committed_by=committed_by.isoformat(),
            comment=request.response_note,
            **facts,
        )
    return request


def request_refuse(
    *, request: CollaborationRequest, actor, now: datetime, category: str, reason: str
) -> CollaborationRequest:
    """The receiving department refuses, with a category and a reason (a department may not refuse
    without one).

    Side effects: REFUSED; the response duty closes. Records ``request.refused``.
    """
    if category not in RefusalCategory.values:
        raise DomainError(_("Choose why the request is refused."), code="missing_category", field="category")
    reason = _require_text(reason, "reason", _("A refusal needs a reason."), limit=MAX_NOTE)
    with transaction.atomic():
        request = _step(request, "refuse", actor, now)
        request.status = RS.REFUSED
        request.responded_at = now
        request.refusal_category = category
        request.response_note = reason
        request.closed_at = now
        request.save(
            update_fields=["status", "responded_at", "refusal_category", "response_note", "closed_at"]
        )
        facts = _close_response(request, actor, now)
        record_event(
            name="request.refused",
            actor=actor,
            subject=request,
            now=now,
            category=category,
            reason=reason,
            **facts,
        )
    return request


def request_reassign(
    *, request: CollaborationRequest, actor, now: datetime, to_department: Department | None, reason: str
) -> CollaborationRequest:
    """The receiving department hands the request on to the department it belongs to, with a reason.

    The response clock does not restart: the new department's duty keeps the deadline of the
    first (a duty already late stays on the first department's record as breached).
    Records ``request.reassigned`` (from, to, reason).
    """
    if to_department is None:
        raise DomainError(
            _("Choose the receiving department."), code="missing_to_department", field="to_department"
        )
    reason = _require_text(reason, "reason", _("A reassignment needs a reason."), limit=MAX_NOTE)
    if to_department.pk in (request.to_department_id, request.from_department_id):
        raise DomainError(
            _("Hand the request on to a third department."), code="same_department", field="to_department"
        )
    with transaction.atomic():
        request = _step(request, "reassign", actor, now)
        previous = request.to_department
        # Counted from the submission under the request's own policy version: the same deadline.
        due = response_due(request.policy_version, request.submitted_at)
        # A pending duty goes away with the request; one already breached stays on the record.
        obligation_waive(
            kind=ObligationKind.REQUEST_RESPONSE,
            subject=request,
            now=now,
            note="reassigned",
            department=previous,
        )
        obligation_close(
            kind=ObligationKind.REQUEST_RESPONSE, subject=request, now=now, actor=actor, department=previous
        )
        request.to_department = to_department
        request.save(update_fields=["to_department"])
        obligation_open(
            kind=ObligationKind.REQUEST_RESPONSE,
            rule=RESPONSE_RULE,
            subject=request,
            due=due,
            policy_version=request.policy_version,
            now=now,
            department=to_department,
        )
        record_event(
            name="request.reassigned",
            actor=actor,
            subject=request,
            now=now,
            from_department=previous.pk,
            to_department=to_department.pk,
            reason=reason,
            due_at=due.value.isoformat(),
        )
    return request


def request_withdraw(*, request: CollaborationRequest, actor, now: datetime) -> CollaborationRequest:
    """The requester withdraws a request not yet answered. The response duty is waived.
    Records ``request.withdrawn``."""
    with transaction.atomic():
        request = _step(request, "withdraw", actor, now)
        request.status = RS.WITHDRAWN
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        obligation_waive(kind=ObligationKind.REQUEST_RESPONSE, subject=request, now=now, note="withdrawn")
        record_event(name="request.withdrawn", actor=actor, subject=request, now=now)
    return request


def request_deliver(
    *, request: CollaborationRequest, actor, now: datetime, note: str
) -> CollaborationRequest:
    """The receiving department reports the work done, saying what was delivered.
    Records ``request.delivered``."""
    note = _require_text(note, "note", _("Say what was delivered."), limit=MAX_DELIVERY)
    with transaction.atomic():
        request = _step(request, "deliver", actor, now)
        request.status = RS.DELIVERED
        request.delivered_at = now
        request.delivery_note = note
        request.save(update_fields=["status", "delivered_at", "delivery_note"])
        obligation_close(
            kind=ObligationKind.REQUEST_DELIVERY,
            subject=request,
            now=now,
            actor=actor,
            department=request.to_department,
        )
        record_event(name="request.delivered", actor=actor, subject=request, now=now, comment=note)
    return request


def request_confirm(
    *, request: CollaborationRequest, actor, now: datetime, rating: int | None, comment: str = ""
) -> CollaborationRequest:
    """The requester confirms the delivery and rates the help 1–5 (with an optional comment).
    Side effects: CLOSED. Records ``request.confirmed``."""
    if rating is None or not 1 <= rating <= 5:
        raise DomainError(_("Rate the help from 1 to 5."), code="bad_rating", field="rating")
    comment = (comment or "").strip()[:MAX_NOTE]
    with transaction.atomic():
        request = _step(request, "confirm", actor, now)
        request.status = RS.CLOSED
        request.closed_at = now
        request.rating = rating
        request.rating_comment = comment
        request.save(update_fields=["status", "closed_at", "rating", "rating_comment"])
        record_event(
            name="request.confirmed", actor=actor, subject=request, now=now, rating=rating, comment=comment
        )
    return request


def request_reopen(
    *, request: CollaborationRequest, actor, now: datetime, reason: str
) -> CollaborationRequest:
    """The requester sends a delivery back as not done, with a reason: the request is in progress
    again. Records ``request.reopened``."""
    reason = _require_text(reason, "reason", _("Say what is still missing."), limit=MAX_NOTE)
    with transaction.atomic():
        request = _step(request, "reopen", actor, now)
        request.status = RS.ACCEPTED
        request.save(update_fields=["status"])
        # The work is owed again, by the date the department committed to.
        _open_delivery(request, now)
        record_event(name="request.reopened", actor=actor, subject=request, now=now, reason=reason)
    return request

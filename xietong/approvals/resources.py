"""A resource decision's leadership approval runs on the engine (seed 01 第五条(一)2).

A meeting decision that allocates resources across departments waits for the leadership group
(records: AWAITING_LEADERSHIP, with its LEADERSHIP_APPROVAL duty in the ledger). The engine
files it under the built-in "resource-decision" template as the decision is recorded, and
applies the outcome to the decision through records' own services. The record page's answer
buttons still work: an answer given there finishes the approval the same way. Records never
imports the approvals; these reactions are registered in ApprovalsConfig.ready.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation

from xietong.core.errors import DomainError
from xietong.meetings.models import Meeting
from xietong.records.models import Decision
from xietong.records.services import decision_approve, decision_reject

from . import services
from .bundled import bundled_template
from .models import Approval, ApprovalTemplate

TEMPLATE_KEY = "resource-decision"
TEMPLATE_NAME = "跨部门资源调配审批"


def resource_template(meeting: Meeting, *, now: datetime) -> ApprovalTemplate:
    return services.builtin_template(
        key=TEMPLATE_KEY,
        name=TEMPLATE_NAME,
        policy=meeting.policy_version.policy,
        text=bundled_template(TEMPLATE_KEY),
        now=now,
    )


def on_decision_created(*, event, subject: Decision, actor, now: datetime) -> dict | None:
    """A decision awaiting the leadership group is filed as an approval: amount and resource
    from the decision, the step's approvers the leadership group, under the meeting's policy
    version. None is filed while nobody holds the leadership role (the decision still waits,
    and its record page answers it)."""
    if subject.status != Decision.Status.AWAITING_LEADERSHIP:
        return None
    meeting = Meeting.objects.select_related("policy_version__policy").get(pk=subject.meeting_id)
    with translation.override(settings.LANGUAGE_CODE):  # the form's text, as every reader sees it
        resource = str(subject.get_resource_kind_display())
    try:
        with transaction.atomic():
            approval = services.approval_open_for(
                subject=subject,
                template=resource_template(meeting, now=now),
                policy_version=meeting.policy_version,
                applicant=actor,
                department=subject.department,
                title=subject.text.splitlines()[0] if subject.text else str(subject),
                amount=subject.amount,
                values={"resource": resource, "decision": subject.text},
                actor=actor,
                now=now,
                notify=False,  # records tells the leadership group (decision_awaiting_leadership)
            )
    except DomainError:
        return None
    return {"approval": approval.pk}


def _decision_of(approval: Approval) -> Decision | None:
    if not approval.is_linked or approval.subject_type.model_class() is not Decision:
        return None
    return Decision.objects.filter(pk=approval.subject_id).first()


def on_approval_approved(*, event, subject: Approval, actor, now: datetime) -> None:
    """The approval's last step approved: the decision takes effect (records.decision_approve:
    its action item, its duty closed)."""
    decision = _decision_of(subject)
    if not event.data.get("finished") or decision is None:
        return
    if decision.status == Decision.Status.AWAITING_LEADERSHIP:
        decision_approve(decision=decision, actor=actor, now=now, comment=event.data.get("comment") or "")


def on_approval_rejected(*, event, subject: Approval, actor, now: datetime) -> None:
    """The approval rejected: so is the decision (records.decision_reject), with the reason."""
    decision = _decision_of(subject)
    if decision is not None and decision.status == Decision.Status.AWAITING_LEADERSHIP:
        decision_reject(decision=decision, reason=event.data.get("reason") or "", actor=actor, now=now)


def on_decision_answered(*, event, subject: Decision, actor, now: datetime) -> None:
    """The leadership answered on the meeting record: the approval, if still pending, ends the
    same way (approved or rejected, signed by whoever answered)."""
    approval = services.approval_for(subject)
    if approval is not None:
        services.approval_settle(
            approval=approval,
            approve=event.name == "decision.approved",
            actor=actor,
            now=now,
            comment=event.data.get("comment") or event.data.get("reason") or "",
        )

"""A change of the regulation runs on the engine (seed 01 第五条(一)5).

A version drafted by the coordinator (policy.services.policy_version_draft) is filed under the
built-in "policy-change" template; the leadership group approves it (会签), and the version
then takes effect at its chosen moment (policy_version_make_effective), or is refused. Policy
never imports the approvals: these reactions are registered in ApprovalsConfig.ready.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import translation
from django.utils.formats import date_format

from xietong.org.models import Department
from xietong.policy.calendar import as_shanghai
from xietong.policy.models import PolicyVersion
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_version_make_effective, policy_version_refuse

from . import services
from .bundled import bundled_template
from .models import Approval

TEMPLATE_KEY = "policy-change"
TEMPLATE_NAME = "制度修订审批"


def on_version_drafted(*, event, subject: PolicyVersion, actor, now: datetime) -> dict:
    """File the draft's approval, under the version in force now. Refused (the draft is not
    saved) when nobody holds the leadership role."""
    policy = subject.policy
    template = services.builtin_template(
        key=TEMPLATE_KEY, name=TEMPLATE_NAME, policy=policy, text=bundled_template(TEMPLATE_KEY), now=now
    )
    department = actor.department if actor.department_id else Department.objects.order_by("id").first()
    with translation.override("zh-hans"):
        when = (
            date_format(as_shanghai(subject.effective_from), "DATETIME_FORMAT")
            if subject.effective_from
            else "批准后立即生效"
        )
        title = f"{policy.name} v{subject.number}"
    approval = services.approval_open_for(
        subject=subject,
        template=template,
        policy_version=current_version(policy, at=now),
        applicant=actor,
        department=department,
        title=title,
        amount=None,
        values={"reason": subject.reason, "effective_from": when},
        actor=actor,
        now=now,
    )
    return {"approval": approval.pk}


def _version_of(approval: Approval) -> PolicyVersion | None:
    if not approval.is_linked or approval.subject_type.model_class() is not PolicyVersion:
        return None
    return PolicyVersion.objects.filter(pk=approval.subject_id, status=PolicyVersion.Status.DRAFT).first()


def on_approval_approved(*, event, subject: Approval, actor, now: datetime) -> None:
    version = _version_of(subject)
    if event.data.get("finished") and version is not None:
        policy_version_make_effective(version=version, actor=actor, now=now)


def on_approval_rejected(*, event, subject: Approval, actor, now: datetime) -> None:
    version = _version_of(subject)
    if version is not None:
        policy_version_refuse(version=version, actor=actor, now=now, reason=event.data.get("reason") or "")

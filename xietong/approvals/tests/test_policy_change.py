"""A change of the regulation goes through the leadership group's approval on the engine
(seed 01 第五条(一)5): drafted → approved → in force from the chosen moment, never before."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from xietong.approvals import policies, services
from xietong.approvals.models import Approval
from xietong.core.errors import DomainError, Forbidden
from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import sh
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.org.models import Role, RoleAssignment
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import load_rules, to_data
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_version_draft

pytestmark = pytest.mark.django_db

MON = sh(2026, 3, 9, 10, 0)
TUE = sh(2026, 3, 10, 10, 0)
WED = sh(2026, 3, 11, 9, 0)
RULE = "leadership_approval_days"


def _draft(torg, *, days=3, now=MON, effective_from=None, actor=None):
    data = to_data(current_version(torg.policy, at=now).rules)
    data["rules"][RULE]["count"] = days
    return policy_version_draft(
        policy=torg.policy,
        actor=actor or torg.coordinator,
        now=now,
        reason="延长审批时限",
        rules=load_rules(data),
        effective_from=effective_from,
    )


def _approval(version):
    return Approval.objects.get(
        subject_type=ContentType.objects.get_for_model(PolicyVersion), subject_id=version.pk
    )


def test_a_drafted_version_is_not_in_force_until_the_leadership_approves(torg):
    before = current_version(torg.policy, at=MON)
    version = _draft(torg, effective_from=WED)
    assert version.status == PolicyVersion.Status.DRAFT
    assert current_version(torg.policy, at=TUE) == before
    assert current_version(torg.policy, at=WED) == before  # not approved: not in force at its date either
    approval = _approval(version)
    assert approval.version.template.key == policies.TEMPLATE_KEY
    assert approval.policy_version == before and approval.applicant_id == torg.coordinator.pk
    leaders = set(RoleAssignment.objects.filter(role=Role.LEADERSHIP).values_list("person_id", flat=True))
    assert {t.approver_id for t in approval.tasks.all()} == leaders
    notify_dispatch(now=MON)  # the leadership group is told through the outbox
    told = Message.objects.filter(topic="approval_awaiting").values_list("recipient_id", flat=True)
    assert set(told) == leaders

    with pytest.raises(Forbidden):
        services.approval_approve(approval=approval, actor=torg.coordinator, now=TUE)
    services.approval_approve(approval=approval, actor=torg.chair, now=TUE, comment="同意")
    version.refresh_from_db()
    assert (version.status, version.effective_from) == (PolicyVersion.Status.EFFECTIVE, WED)
    # In force from the chosen moment: a deadline computed before it keeps the old rule.
    assert current_version(torg.policy, at=TUE) == before
    assert current_version(torg.policy, at=WED) == version
    assert current_version(torg.policy, at=WED).rules.count(RULE) == 3
    assert before.rules.count(RULE) == 2


def test_without_a_chosen_moment_the_version_takes_effect_on_approval(torg):
    version = _draft(torg)
    assert current_version(torg.policy, at=TUE).number == version.number - 1
    services.approval_approve(approval=_approval(version), actor=torg.chair, now=TUE)
    version.refresh_from_db()
    assert version.effective_from == TUE
    assert current_version(torg.policy, at=TUE) == version


def test_a_rejected_version_never_takes_effect_and_a_new_draft_may_follow(torg):
    before = current_version(torg.policy, at=MON)
    version = _draft(torg)
    with pytest.raises(DomainError) as err:
        _draft(torg, days=4)
    assert err.value.code == "draft_pending"
    services.approval_reject(approval=_approval(version), actor=torg.chair, now=TUE, reason="时限不变")
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.REJECTED
    assert current_version(torg.policy, at=WED) == before
    again = _draft(torg, now=WED)
    assert again.status == PolicyVersion.Status.DRAFT and again.number == version.number + 1


def test_bad_drafts_are_refused_and_nothing_is_saved(torg):
    count = PolicyVersion.objects.count()
    with pytest.raises(DomainError) as err:
        _draft(torg, now=TUE, effective_from=MON)
    assert err.value.field == "effective_from"
    with pytest.raises(Forbidden):
        _draft(torg, actor=torg.tech_liaison)
    RoleAssignment.objects.filter(role=Role.LEADERSHIP).delete()
    with pytest.raises(DomainError) as err:
        _draft(torg)
    assert err.value.code == "no_approver"
    assert PolicyVersion.objects.count() == count
    assert not Approval.objects.exists()


def test_a_meeting_keeps_the_version_in_force_when_it_was_scheduled(torg):
    before = current_version(torg.policy, at=MON)
    version = _draft(torg, effective_from=WED)
    services.approval_approve(approval=_approval(version), actor=torg.chair, now=TUE)
    early = meeting_services.meeting_schedule(series=torg.series, starts_at=sh(2026, 3, 23, 9, 0), now=TUE)
    late = meeting_services.meeting_schedule(series=torg.series, starts_at=sh(2026, 3, 30, 9, 0), now=WED)
    assert early.policy_version == before and late.policy_version == version

"""A resource decision's leadership approval on the engine (seed 01 第五条(一)2): filed as the
decision is recorded, decided on the approval page or the meeting record, with the same
outcome for the decision either way."""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType

from xietong.actions.models import ActionItem
from xietong.approvals import resources, services
from xietong.approvals.models import Approval, Task
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.tests.factories import sh
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Role, RoleAssignment
from xietong.records import services as records
from xietong.records.models import Decision
from xietong.records.tests.helpers import decide, held_meeting

pytestmark = pytest.mark.django_db

TUE = sh(2026, 3, 10, 10, 0)
THU = sh(2026, 3, 12, 10, 0)


@pytest.fixture
def meeting(torg):
    return held_meeting(torg, topics=1)


def _resource(torg, meeting, **overrides):
    return decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="5000", **overrides)


def _duties(kind, subject):
    return list(
        Obligation.objects.filter(
            kind=kind, subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )
    )


def test_a_resource_decision_is_filed_on_the_engine_under_the_meetings_policy(torg, meeting):
    decision = _resource(torg, meeting)
    approval = services.approval_for(decision)
    assert approval is not None and approval.status == Approval.Status.PENDING
    assert approval.version.template.key == resources.TEMPLATE_KEY
    assert approval.policy_version_id == meeting.policy_version_id
    assert (approval.applicant_id, approval.department_id) == (torg.recorder.pk, torg.departments["tech"].pk)
    assert str(approval.amount) == "5000.00" and approval.values["decision"] == decision.text
    assert [s["key"] for s in approval.route] == ["leadership"]
    # Every member of the leadership group may answer (或签).
    leaders = set(RoleAssignment.objects.filter(role=Role.LEADERSHIP).values_list("person_id", flat=True))
    assert {t.approver_id for t in approval.tasks.all()} == leaders
    # One duty in the ledger, as before: the decision's, under leadership_approval_days.
    assert len(_duties(ObligationKind.LEADERSHIP_APPROVAL, decision)) == 1
    assert not Obligation.objects.filter(kind=ObligationKind.APPROVAL_STEP).exists()
    assert Event.objects.get(name="decision.created").data["approval"] == approval.pk
    # The leadership group hears of it once, as before (records' notice, not the engine's).
    notify_dispatch(now=TUE)
    assert Message.objects.filter(topic="decision_awaiting_leadership").exists()
    assert not Message.objects.filter(topic="approval_awaiting").exists()


def test_an_effective_decision_needs_no_approval(torg, meeting):
    decide(torg, meeting)
    assert not Approval.objects.exists()


def test_approving_on_the_engine_makes_the_decision_effective(torg, meeting):
    decision = _resource(torg, meeting)
    approval = services.approval_for(decision)
    services.approval_approve(approval=approval, actor=torg.chair, now=TUE, comment="同意")
    decision.refresh_from_db()
    approval.refresh_from_db()
    assert decision.status == Decision.Status.EFFECTIVE
    assert (decision.leadership_by_id, decision.leadership_at, decision.leadership_comment) == (
        torg.chair.pk,
        TUE,
        "同意",
    )
    assert approval.status == Approval.Status.APPROVED and approval.finished_at == TUE
    assert ActionItem.objects.filter(decision=decision).count() == 1
    (duty,) = _duties(ObligationKind.LEADERSHIP_APPROVAL, decision)
    assert duty.state == Obligation.State.MET
    assert Event.objects.filter(name="decision.approved").count() == 1
    assert Event.objects.filter(name="approval.approved").count() == 1


def test_rejecting_on_the_engine_rejects_the_decision_with_the_reason(torg, meeting):
    decision = _resource(torg, meeting)
    approval = services.approval_for(decision)
    with pytest.raises(DomainError) as err:
        services.approval_reject(approval=approval, actor=torg.chair, now=THU, reason=" ")
    assert err.value.field == "comment"
    services.approval_reject(approval=approval, actor=torg.chair, now=THU, reason="预算不足")
    decision.refresh_from_db()
    assert (decision.status, decision.leadership_comment) == (Decision.Status.REJECTED, "预算不足")
    assert not ActionItem.objects.filter(decision=decision).exists()
    (duty,) = _duties(ObligationKind.LEADERSHIP_APPROVAL, decision)
    assert duty.state == Obligation.State.BREACHED  # 2 working days after Monday 09:40
    assert Event.objects.filter(name="decision.rejected").count() == 1


@pytest.mark.parametrize("approve", [True, False])
def test_an_answer_on_the_meeting_record_finishes_the_approval(torg, meeting, approve):
    decision = _resource(torg, meeting)
    if approve:
        records.decision_approve(decision=decision, actor=torg.chair, now=TUE, comment="同意")
    else:
        records.decision_reject(decision=decision, reason="不同意", actor=torg.chair, now=TUE)
    approval = services.approval_for(decision)
    assert approval.status == (Approval.Status.APPROVED if approve else Approval.Status.REJECTED)
    (task,) = approval.tasks.filter(decided_at__isnull=False)
    assert (task.approver_id, task.decided_by_id, task.comment) == (
        torg.chair.pk,
        torg.chair.pk,
        "同意" if approve else "不同意",
    )
    assert not approval.tasks.filter(state=Task.State.PENDING).exists()
    # Finished: the engine refuses a second answer.
    with pytest.raises(DomainError):
        services.approval_approve(approval=approval, actor=torg.chair, now=THU)


def test_only_the_leadership_answers_and_the_recorder_cannot_withdraw(torg, meeting):
    decision = _resource(torg, meeting)
    approval = services.approval_for(decision)
    with pytest.raises(Forbidden):
        services.approval_approve(approval=approval, actor=torg.tech_head, now=TUE)
    with pytest.raises(DomainError) as err:
        services.approval_withdraw(approval=approval, actor=torg.recorder, now=TUE)
    assert err.value.code == "linked"
    with pytest.raises(DomainError) as err:
        services.approval_return(approval=approval, actor=torg.chair, now=TUE, comment="改")
    assert err.value.code == "linked"
    assert services.approval_actions(approval, torg.chair, now=TUE) == ["approve", "reject"]
    assert services.approval_actions(approval, torg.recorder, now=TUE) == []
    decision.refresh_from_db()
    assert decision.status == Decision.Status.AWAITING_LEADERSHIP


def test_without_a_leadership_group_the_decision_still_waits(torg, meeting):
    RoleAssignment.objects.filter(role=Role.LEADERSHIP).delete()
    decision = _resource(torg, meeting)
    assert decision.status == Decision.Status.AWAITING_LEADERSHIP
    assert not Approval.objects.exists()


def test_my_todo_leads_to_the_approval_whose_button_completes_the_decision(torg, meeting, login):
    decision = _resource(torg, meeting)
    approval = services.approval_for(decision)
    client = login(torg.chair)
    with time_machine.travel(TUE, tick=False):
        home = client.get("/").content.decode()
        assert f'href="/approvals/{approval.pk}/"' in home
        assert f'href="/approvals/{approval.pk}/"' in home.split('id="duties"')[1].split("</section>")[0]
        page = client.get(f"/approvals/{approval.pk}/").content.decode()
        assert "/approve/" in page and "/withdraw/" not in page and "/return/" not in page
        response = client.post(f"/approvals/{approval.pk}/approve/", {"approve-comment": "同意"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.status == Decision.Status.EFFECTIVE and decision.leadership_comment == "同意"


def test_an_outsider_cannot_open_the_approval(torg, meeting, login):
    approval = services.approval_for(_resource(torg, meeting))
    with time_machine.travel(TUE, tick=False):
        assert login(torg.market_head).get(f"/approvals/{approval.pk}/").status_code == 404


def test_history_migration_files_past_and_pending_resource_decisions(torg, meeting):
    """The data migration, run on decisions recorded without the engine: a pending one gets the
    leadership group's tasks; an answered one is finished with its signature."""
    history = importlib.import_module("xietong.approvals.migrations.0004_resource_decision_history")
    pending, answered, rejected = (_resource(torg, meeting, text=t) for t in ("一", "二", "三"))
    Approval.objects.all().delete()  # as before the engine
    records.decision_approve(decision=answered, actor=torg.chair, now=TUE, comment="同意")
    records.decision_reject(decision=rejected, reason="不同意", actor=torg.chair, now=THU)
    assert not Approval.objects.exists()
    history.forwards(django_apps, None)
    history.forwards(django_apps, None)  # twice: nothing more
    by_subject = {a.subject_id: a for a in Approval.objects.all()}
    assert set(by_subject) == {pending.pk, answered.pk, rejected.pk}
    waiting = by_subject[pending.pk]
    assert waiting.status == Approval.Status.PENDING and waiting.submitted_at == pending.created_at
    assert [t.approver_id for t in waiting.tasks.all()] == [torg.chair.pk]
    done = by_subject[answered.pk]
    (task,) = done.tasks.all()
    assert (done.status, done.finished_at, task.state, task.decided_by_id, task.comment) == (
        Approval.Status.APPROVED,
        TUE,
        Task.State.APPROVED,
        torg.chair.pk,
        "同意",
    )
    assert by_subject[rejected.pk].status == Approval.Status.REJECTED
    # The migrated pending approval is decided like any other, and the decision follows.
    services.approval_approve(approval=waiting, actor=torg.chair, now=TUE)
    pending.refresh_from_db()
    assert pending.status == Decision.Status.EFFECTIVE

from __future__ import annotations

import pytest

from xietong.actions import services
from xietong.actions.models import ActionItem, ProgressReport
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import sh
from xietong.org.models import Delegation
from xietong.records.tests.helpers import decide, held_meeting

LATER = sh(2026, 3, 12, 10, 0)
S = ActionItem.Status


@pytest.fixture
def item(torg):
    meeting = held_meeting(torg, topics=1)
    decision = decide(torg, meeting)
    return ActionItem.objects.get(decision=decision)


def _status(item):
    return ActionItem.objects.get(pk=item.pk).status


def test_owner_starts_and_completes_with_evidence(torg, item):
    services.action_start(item=item, actor=torg.tech_head, now=LATER)
    assert _status(item) == S.IN_PROGRESS
    services.action_complete(item=item, evidence="方案已提交，见OA 2026-031", actor=torg.tech_head, now=LATER)
    item.refresh_from_db()
    assert (item.status, item.done_at, item.evidence) == (S.DONE, LATER, "方案已提交，见OA 2026-031")
    assert [e.name for e in Event.objects.filter(subject_id=item.pk, name__startswith="action.")] == [
        "action.created",
        "action.started",
        "action.completed",
    ]


def test_complete_straight_from_open(torg, item):
    services.action_complete(item=item, evidence="已完成", actor=torg.tech_head, now=LATER)
    assert _status(item) == S.DONE


@pytest.mark.parametrize("evidence", ["", "   ", "x" * 2001])
def test_complete_needs_evidence(torg, item, evidence):
    with pytest.raises(DomainError) as err:
        services.action_complete(item=item, evidence=evidence, actor=torg.tech_head, now=LATER)
    assert err.value.field == "evidence"
    assert _status(item) == S.OPEN


@pytest.mark.parametrize(
    "who", ["tech_liaison", "tech_deputy", "coordinator", "recorder", "outsider", "chair"]
)
def test_only_the_owner_starts_or_completes(torg, item, who):
    with pytest.raises(Forbidden):
        services.action_start(item=item, actor=getattr(torg, who), now=LATER)
    with pytest.raises(Forbidden):
        services.action_complete(item=item, evidence="x", actor=getattr(torg, who), now=LATER)
    assert _status(item) == S.OPEN


def test_wrong_states(torg, item):
    services.action_start(item=item, actor=torg.tech_head, now=LATER)
    with pytest.raises(DomainError) as err:
        services.action_start(item=item, actor=torg.tech_head, now=LATER)
    assert err.value.code == "wrong_state"
    services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=LATER)
    for call in (
        lambda: services.action_complete(item=item, evidence="again", actor=torg.tech_head, now=LATER),
        lambda: services.action_cancel(item=item, reason="r", actor=torg.coordinator, now=LATER),
        lambda: services.progress_report(item=item, status="done", actor=torg.tech_liaison, now=LATER),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "wrong_state"
    assert _status(item) == S.DONE


def test_coordinator_reopens_a_done_item(torg, item):
    services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=LATER)
    with pytest.raises(DomainError) as err:
        services.action_reopen(item=item, reason="", actor=torg.coordinator, now=LATER)
    assert (err.value.code, err.value.field) == ("required", "reason")
    services.action_reopen(item=item, reason="证据不足", actor=torg.coordinator, now=LATER)
    item.refresh_from_db()
    assert (item.status, item.done_at) == (S.OPEN, None)
    assert Event.objects.get(name="action.reopened").data == {"reason": "证据不足", "previous": "done"}
    with pytest.raises(DomainError) as err:
        services.action_reopen(item=item, reason="again", actor=torg.coordinator, now=LATER)
    assert err.value.code == "wrong_state"


def test_coordinator_cancels_and_may_reopen(torg, item):
    with pytest.raises(DomainError) as err:
        services.action_cancel(item=item, reason=" ", actor=torg.coordinator, now=LATER)
    assert (err.value.code, err.value.field) == ("required", "reason")
    services.action_cancel(item=item, reason="决议撤销", actor=torg.coordinator, now=LATER)
    item.refresh_from_db()
    assert (item.status, item.cancel_reason) == (S.CANCELLED, "决议撤销")
    with pytest.raises(DomainError):
        services.action_start(item=item, actor=torg.tech_head, now=LATER)
    services.action_reopen(item=item, reason="重新启动", actor=torg.coordinator, now=LATER)
    item.refresh_from_db()
    assert (item.status, item.cancel_reason) == (S.OPEN, "")


@pytest.mark.parametrize("who", ["tech_head", "tech_liaison", "host", "recorder", "chair", "outsider"])
def test_only_the_coordinator_cancels_or_reopens(torg, item, who):
    actor = getattr(torg, who)
    with pytest.raises(Forbidden):
        services.action_cancel(item=item, reason="r", actor=actor, now=LATER)
    services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=LATER)
    with pytest.raises(Forbidden):
        services.action_reopen(item=item, reason="r", actor=actor, now=LATER)
    assert _status(item) == S.DONE


def test_liaison_reports_progress_for_the_next_meeting(torg, item):
    report = services.progress_report(
        item=item, status="in_progress", note="方案初稿完成", actor=torg.tech_liaison, now=LATER
    )
    following = Meeting.objects.get(series=torg.series, starts_at=sh(2026, 3, 16, 9, 0))
    assert report.for_meeting_id == following.pk
    assert (report.reporter_id, report.status, report.note) == (
        torg.tech_liaison.pk,
        "in_progress",
        "方案初稿完成",
    )
    assert _status(item) == S.OPEN  # a report does not change the item
    assert Event.objects.filter(name="action.progress_reported", subject_id=item.pk).exists()


def test_delayed_needs_a_reason(torg, item):
    with pytest.raises(DomainError) as err:
        services.progress_report(item=item, status="delayed", actor=torg.tech_liaison, now=LATER)
    assert (err.value.code, err.value.field) == ("required", "reason")
    with pytest.raises(DomainError) as err:
        services.progress_report(item=item, status="stuck", actor=torg.tech_liaison, now=LATER)
    assert (err.value.code, err.value.field) == ("invalid_status", "status")
    with pytest.raises(DomainError) as err:
        services.progress_report(
            item=item, status="done", note="x" * 2001, actor=torg.tech_liaison, now=LATER
        )
    assert (err.value.code, err.value.field) == ("too_long", "note")
    assert not ProgressReport.objects.exists()
    report = services.progress_report(
        item=item, status="delayed", reason="供应商延期交货", actor=torg.tech_liaison, now=LATER
    )
    assert report.reason == "供应商延期交货"


@pytest.mark.parametrize("who", ["tech_head", "market_liaison", "coordinator", "recorder", "outsider"])
def test_only_the_owner_departments_liaison_reports(torg, item, who):
    with pytest.raises(Forbidden):
        services.progress_report(item=item, status="done", actor=getattr(torg, who), now=LATER)
    assert not ProgressReport.objects.exists()


def test_a_delegate_of_the_liaison_may_report(torg, item):
    Delegation.objects.create(
        principal=torg.tech_liaison, delegate=torg.tech_deputy, starts_on=LATER.date(), ends_on=LATER.date()
    )
    report = services.progress_report(item=item, status="done", actor=torg.tech_deputy, now=LATER)
    assert report.reporter_id == torg.tech_deputy.pk


def test_action_created_only_once_and_only_for_effective(torg, item):
    with pytest.raises(DomainError) as err:
        services.action_create_from_decision(decision=item.decision, actor=torg.recorder, now=LATER)
    assert err.value.code == "already_created"
    decision = decide(torg, item.meeting, allocates_resources=True, resource_kind="money", amount=10)
    with pytest.raises(DomainError) as err:
        services.action_create_from_decision(decision=decision, actor=torg.recorder, now=LATER)
    assert err.value.code == "decision_not_effective"

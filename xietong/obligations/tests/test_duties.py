"""The cycle's services open and close their duties in the ledger (action items, progress reports)."""

from __future__ import annotations

import copy
from importlib import import_module

import pytest
from django.apps import apps as django_apps

from xietong.actions import services as actions
from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError
from xietong.desk.testing import build_test_org
from xietong.meetings.models import Meeting
from xietong.meetings.services import meeting_schedule
from xietong.meetings.tests.factories import sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.policy.models import PolicyVersion
from xietong.records.tests.helpers import decide, held_meeting

pytestmark = pytest.mark.django_db

NEXT = sh(2026, 3, 16, 9, 0)


@pytest.fixture
def item(torg):
    meeting = held_meeting(torg, topics=1)
    return ActionItem.objects.get(decision=decide(torg, meeting))


def action_duties(item):
    return list(obligations_for(item).filter(kind=ObligationKind.ACTION_DUE).order_by("id"))


def progress_duties(meeting):
    return list(obligations_for(meeting).filter(kind=ObligationKind.PROGRESS_REPORT).order_by("id"))


def test_creating_an_item_opens_its_due_duty(torg, item):
    (duty,) = action_duties(item)
    assert (duty.state, duty.responsible, duty.department) == (
        "pending",
        torg.tech_head,
        torg.departments["tech"],
    )
    # due 2026-03-20 (a Friday): overdue after 17:30 that day
    assert duty.due_at == sh(2026, 3, 20, 17, 30)
    assert duty.policy_version_id == item.meeting.policy_version_id
    assert duty.warn_at == sh(2026, 3, 17, 17, 30)
    # A refused second creation leaves no second duty.
    with pytest.raises(DomainError):
        actions.action_create_from_decision(
            decision=item.decision, actor=torg.recorder, now=sh(2026, 3, 9, 10, 0)
        )
    assert len(action_duties(item)) == 1


def test_complete_on_time_meets_late_breaches(torg, item):
    actions.action_complete(item=item, evidence="已完成", actor=torg.tech_head, now=sh(2026, 3, 20, 17, 30))
    assert [d.state for d in action_duties(item)] == ["met"]
    actions.action_reopen(item=item, reason="证据不足", actor=torg.coordinator, now=sh(2026, 3, 21, 9, 0))
    assert [d.state for d in action_duties(item)] == ["met", "pending"]
    actions.action_complete(item=item, evidence="补充证据", actor=torg.tech_head, now=sh(2026, 3, 23, 9, 0))
    assert [d.state for d in action_duties(item)] == ["met", "breached"]
    assert action_duties(item)[1].closed_at == sh(2026, 3, 23, 9, 0)


def test_cancel_waives_and_a_refused_cancel_changes_nothing(torg, item):
    with pytest.raises(DomainError):
        actions.action_cancel(item=item, reason="", actor=torg.coordinator, now=sh(2026, 3, 10, 9, 0))
    assert [d.state for d in action_duties(item)] == ["pending"]
    actions.action_cancel(item=item, reason="不再需要", actor=torg.coordinator, now=sh(2026, 3, 10, 9, 0))
    assert [(d.state, d.note) for d in action_duties(item)] == [("waived", "action item cancelled")]


def test_scheduling_the_next_meeting_opens_the_progress_duty_and_the_report_meets_it(torg, item):
    following = meeting_schedule(series=torg.series, starts_at=NEXT, now=sh(2026, 3, 10, 9, 0))
    (duty,) = progress_duties(following)
    # The liaison reports by Thursday 15:00 before the meeting (progress_report_cutoff, 第五条(二)4).
    assert (duty.responsible, duty.department, duty.due_at, duty.clause) == (
        torg.tech_liaison,
        torg.departments["tech"],
        sh(2026, 3, 12, 15, 0),
        "第五条(二)4",
    )
    # Departments without open items owe nothing.
    assert {d.department_id for d in progress_duties(following)} == {torg.departments["tech"].pk}
    actions.progress_report(
        item=item, status="in_progress", actor=torg.tech_liaison, now=sh(2026, 3, 12, 14, 0)
    )
    (duty,) = progress_duties(following)
    assert (duty.state, duty.closed_by) == ("met", torg.tech_liaison)


def test_a_late_report_breaches_the_progress_duty(torg, item):
    following = meeting_schedule(series=torg.series, starts_at=NEXT, now=sh(2026, 3, 10, 9, 0))
    actions.progress_report(
        item=item, status="in_progress", actor=torg.tech_liaison, now=sh(2026, 3, 12, 15, 1)
    )
    assert [d.state for d in progress_duties(following)] == ["breached"]


def test_an_item_created_when_the_next_meeting_exists_opens_its_progress_duty(torg):
    meeting = held_meeting(torg, topics=2)
    following = meeting_schedule(series=torg.series, starts_at=NEXT, now=sh(2026, 3, 9, 9, 30))
    assert progress_duties(following) == []
    decide(torg, meeting)
    (duty,) = progress_duties(following)
    assert duty.state == "pending"
    # A second item of the same department does not open a second duty; the duty is met only
    # when both items are reported on.
    second = ActionItem.objects.get(decision=decide(torg, meeting, text="第二项任务"))
    assert len(progress_duties(following)) == 1
    first = ActionItem.objects.exclude(pk=second.pk).get(meeting=meeting)
    actions.progress_report(item=first, status="done", actor=torg.tech_liaison, now=sh(2026, 3, 11, 9, 0))
    assert [d.state for d in progress_duties(following)] == ["pending"]
    actions.progress_report(item=second, status="done", actor=torg.tech_liaison, now=sh(2026, 3, 11, 9, 5))
    assert [d.state for d in progress_duties(following)] == ["met"]


def test_nothing_left_to_report_waives_the_progress_duty(torg, item):
    following = meeting_schedule(series=torg.series, starts_at=NEXT, now=sh(2026, 3, 10, 9, 0))
    actions.action_complete(item=item, evidence="已完成", actor=torg.tech_head, now=sh(2026, 3, 11, 9, 0))
    assert [(d.state, d.note) for d in progress_duties(following)] == [("waived", "nothing left to report")]
    assert Meeting.objects.filter(series=torg.series).count() == 2


def test_moving_the_meeting_moves_the_progress_duty(torg, item):
    from xietong.meetings.services import meeting_reschedule

    following = meeting_schedule(series=torg.series, starts_at=NEXT, now=sh(2026, 3, 10, 9, 0))
    meeting_reschedule(
        meeting=following,
        starts_at=sh(2026, 3, 17, 9, 0),  # to Tuesday: the Thursday before is still 03-12
        location=following.location,
        actor=torg.coordinator,
        now=sh(2026, 3, 10, 10, 0),
    )
    meeting_reschedule(
        meeting=following,
        starts_at=sh(2026, 3, 20, 9, 0),  # to Friday: the Thursday before is 03-19
        location=following.location,
        actor=torg.coordinator,
        now=sh(2026, 3, 10, 11, 0),
    )
    duties = progress_duties(following)
    assert [(d.state, d.due_at) for d in duties] == [
        ("waived", sh(2026, 3, 12, 15, 0)),
        ("waived", sh(2026, 3, 12, 15, 0)),
        ("pending", sh(2026, 3, 19, 15, 0)),
    ]
    assert {d.department_id for d in duties} == {torg.departments["tech"].pk}


def test_no_progress_duty_when_the_meeting_is_scheduled_after_its_cutoff(torg, item):
    # The report itself schedules the next meeting on Friday, after Thursday's cut-off: the
    # liaison could not have been on time, so no duty is opened (and none breached).
    report = actions.progress_report(
        item=item, status="in_progress", actor=torg.tech_liaison, now=sh(2026, 3, 13, 9, 0)
    )
    assert report.for_meeting.starts_at == NEXT
    assert progress_duties(report.for_meeting) == []


# ---- each duty under its own rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "clause"),
    [("seed01-weekly", "第三条3；第五条(二)2"), ("seed02-coordination", "二、(二)4")],
)
def test_an_items_due_duty_is_filed_under_its_own_rule_not_the_warning(preset, clause):
    torg = build_test_org(preset=preset)
    meeting = held_meeting(torg, topics=1)
    item = ActionItem.objects.get(decision=decide(torg, meeting))
    (duty,) = action_duties(item)
    assert (duty.rule, duty.clause) == ("action_due", clause)
    warning = meeting.policy_version.rules.get("warning_lead_days").clause
    assert duty.clause != warning


def test_existing_rows_are_refiled_under_the_corrected_clauses(torg, item):
    """Rows written before the citations were corrected: the migrations put each under its rule."""
    version = item.meeting.policy_version
    data = copy.deepcopy(version.data)
    del data["rules"]["action_due"]
    data["rules"]["warning_lead_days"]["clause"] = "第五条(二)5（本组织补充：提前3个工作日黄色预警）"
    data["rules"]["leadership_approval_days"]["clause"] = "第四条(一)2（时限为本组织补充）"
    data["rules"]["reminder_first"]["clause"] = "本组织补充"
    del data["clauses"]
    PolicyVersion.objects.filter(pk=version.pk).update(data=data)
    duty = action_duties(item)[0]
    Obligation.objects.filter(pk=duty.pk).update(
        rule="warning_lead_days", clause="第五条(二)5（本组织补充：提前3个工作日黄色预警）"
    )
    leadership = Obligation.objects.create(
        kind=ObligationKind.LEADERSHIP_APPROVAL,
        rule="leadership_approval_days",
        clause="第四条(一)2（时限为本组织补充）",
        policy_version=version,
        subject_type=duty.subject_type,
        subject_id=duty.subject_id,
        due_at=duty.due_at,
        opened_at=duty.opened_at,
    )

    import_module("xietong.policy.migrations.0002_clause_citations").correct(django_apps, None)
    import_module("xietong.obligations.migrations.0007_clause_per_duty").refile(django_apps, None)

    rules = PolicyVersion.objects.get(pk=version.pk).rules
    assert rules.get("warning_lead_days").clause.startswith("第五条(二)1")
    assert rules.get("reminder_first").clause == "本组织补充（补充第五条(二)1）"
    assert rules.get("action_due").clause == "第三条3；第五条(二)2"
    duty.refresh_from_db()
    leadership.refresh_from_db()
    assert (duty.rule, duty.clause) == ("action_due", "第三条3；第五条(二)2")
    assert leadership.clause == "第五条(一)2（时限为本组织补充）"

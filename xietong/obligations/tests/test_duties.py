"""The cycle's services open and close their duties in the ledger (action items, progress reports)."""

from __future__ import annotations

import pytest

from xietong.actions import services as actions
from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError
from xietong.meetings.models import Meeting
from xietong.meetings.services import meeting_schedule
from xietong.meetings.tests.factories import sh
from xietong.obligations.models import ObligationKind
from xietong.obligations.selectors import obligations_for
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

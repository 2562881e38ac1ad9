"""Open deadlines computed without a year's holiday schedule are computed again once it is
entered: counted back from a topic's meeting, or forward in working days from the opening."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xietong.desk.testing import build_test_org
from xietong.meetings.services import meeting_schedule
from xietong.meetings.tests.factories import make_topic
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_open, obligations_recompute_flagged
from xietong.policy.calendar import SHANGHAI
from xietong.policy.selectors import business_calendar, current_version
from xietong.policy.services import holiday_schedule_enter

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)
MEETING = datetime(2027, 1, 11, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param, now=NOW)


def _enter(org, *, now=NOW):
    holiday_schedule_enter(
        year=2027,
        holidays=[(date(2027, 1, 7), date(2027, 1, 8), "测试假")],
        working_days=[],
        actor=org.coordinator,
        now=now,
    )


def test_a_topics_cut_off_follows_its_meeting(org):
    meeting = meeting_schedule(series=org.series, starts_at=MEETING, now=NOW, actor=org.coordinator)
    topic = make_topic(org, meeting)
    version = current_version(org.policy)
    due = version.rules.deadline("submission_cutoff", MEETING, business_calendar())
    assert due is not None and due.flagged
    duty = obligation_open(
        kind=ObligationKind.SUBMISSION,
        rule="submission_cutoff",
        subject=topic,
        due=due,
        policy_version=version,
        now=NOW,
        responsible=org.tech_liaison,
        department=org.departments["tech"],
    )
    _enter(org)
    duty.refresh_from_db()
    expected = version.rules.deadline("submission_cutoff", MEETING, business_calendar())
    assert duty.due_at == expected.value and not duty.calendar_flagged
    assert duty.due_at != due.value  # the holidays moved it


def test_working_days_from_the_opening_follow_the_schedule(org):
    opened = datetime(2027, 1, 6, 10, 0, tzinfo=SHANGHAI)  # Wednesday
    meeting = meeting_schedule(series=org.series, starts_at=MEETING, now=NOW, actor=org.coordinator)
    version = current_version(org.policy)
    if version.rules.count("leadership_approval_days") is None:
        pytest.skip("this regulation sets no leadership approval time")
    due = business_calendar().add_working_days(opened, version.rules.count("leadership_approval_days"))
    duty = obligation_open(
        kind=ObligationKind.LEADERSHIP_APPROVAL,
        rule="leadership_approval_days",
        subject=meeting,
        due=due,
        policy_version=version,
        now=opened,
        responsible=org.chair,
    )
    assert due.value == datetime(2027, 1, 8, 10, 0, tzinfo=SHANGHAI)
    _enter(org, now=NOW)
    duty.refresh_from_db()
    # Thursday and Friday are holidays: two working days after Wednesday is the next Tuesday.
    assert duty.due_at == datetime(2027, 1, 12, 10, 0, tzinfo=SHANGHAI)
    assert not duty.calendar_flagged


def test_closed_duties_and_duties_without_a_flag_are_left_alone(org):
    meeting_schedule(series=org.series, starts_at=MEETING, now=NOW, actor=org.coordinator)
    duty = Obligation.objects.filter(kind=ObligationKind.AGENDA).get()
    duty.state = Obligation.State.MET
    duty.closed_at = NOW
    duty.save(update_fields=["state", "closed_at"])
    before = duty.due_at
    _enter(org)
    duty.refresh_from_db()
    assert duty.due_at == before and duty.calendar_flagged
    assert obligations_recompute_flagged(now=NOW) == 0

"""The topic window (seed 01 第六条1, Thursday 10:00–17:00): a topic may be drafted, reviewed and
approved at any time, but goes to the coordinator only inside its meeting's window. Seed 02 sets
no window: a topic may be submitted whenever it is approved, late after the cut-off."""

from __future__ import annotations

import pytest

from xietong.core.errors import DomainError
from xietong.desk.testing import build_test_org
from xietong.meetings.models import MeetingSeries
from xietong.obligations.models import Obligation
from xietong.topics import services
from xietong.topics.models import Topic

from .conftest import MEETING, advance, make_topic, sh

pytestmark = pytest.mark.django_db

MON = sh(2026, 3, 2, 8, 0)  # the week before the 03-09 meeting
TUE = sh(2026, 3, 3, 9, 0)
THU_0959, THU_1000 = sh(2026, 3, 5, 9, 59), sh(2026, 3, 5, 10, 0)
THU_1701 = sh(2026, 3, 5, 17, 1)
NEXT_THU = sh(2026, 3, 12, 10, 30)  # the following meeting's window


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def preset(request):
    return request.param


@pytest.fixture
def torg(db, preset):
    torg = build_test_org(preset=preset)
    # seed 02 caps a meeting at 60 minutes
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)
    torg.series.refresh_from_db()
    return torg


@pytest.fixture
def approved(torg):
    topic = make_topic(torg, now=MON)
    assert topic.meeting.starts_at == MEETING
    return advance(torg, topic, "approved", now=MON)


def submit(torg, topic, now):
    return services.topic_submit(topic=topic, actor=torg.tech_liaison, now=now)


def test_submitting_before_the_window_opens(torg, preset, approved):
    if preset == "seed01-weekly":
        with pytest.raises(DomainError) as exc:
            submit(torg, approved, TUE)
        assert exc.value.code == "window_not_open"
        assert exc.value.params == {"opens": "2026-03-05 10:00", "clause": "第六条1"}
        approved.refresh_from_db()
        assert approved.status == Topic.Status.APPROVED
        with pytest.raises(DomainError):
            submit(torg, approved, THU_0959)
        topic = submit(torg, approved, THU_1000)
    else:
        topic = submit(torg, approved, TUE)
    assert topic.status == Topic.Status.SUBMITTED
    assert topic.closed_duty.state == Obligation.State.MET


def test_submitting_after_the_window_closes(torg, preset, approved):
    if preset == "seed02-coordination":
        # No window: accepted, late after the cut-off (3 working days before, 17:00).
        topic = submit(torg, approved, THU_1701)
        assert (topic.status, topic.closed_duty.state) == (Topic.Status.SUBMITTED, Obligation.State.BREACHED)
        return
    with pytest.raises(DomainError) as exc:
        submit(torg, approved, THU_1701)
    assert exc.value.code == "window_closed"
    assert exc.value.params == {"closes": "2026-03-05 17:00", "clause": "第六条1"}
    # In the next meeting's window it goes to that meeting, in time.
    topic = submit(torg, approved, NEXT_THU)
    assert topic.status == Topic.Status.SUBMITTED
    assert topic.meeting.starts_at == sh(2026, 3, 16, 9, 0)
    assert topic.closed_duty.state == Obligation.State.MET


def test_inside_the_window_after_the_cutoff_is_accepted_and_late(torg, preset, approved):
    # seed 01: 16:00 is inside the window, after the liaison's 15:00 cut-off (第五条(二)4).
    topic = submit(torg, approved, sh(2026, 3, 5, 16, 0))
    assert topic.status == Topic.Status.SUBMITTED
    assert topic.closed_duty.state == Obligation.State.BREACHED
    expected = {
        "seed01-weekly": "第五条(二)4",
        "seed02-coordination": "本组织补充（二、(一)3 要求提前准备议题清单，未规定时限）",
    }[preset]
    assert topic.closed_duty.clause == expected

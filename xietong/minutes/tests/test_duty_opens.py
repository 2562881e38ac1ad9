"""The minutes duty opens when the meeting ends — not when the recorder first drafts — so minutes
nobody starts still turn red; it runs from the live room's end when the room recorded one, else
from the scheduled end (seed 01 第五条(二)3: 2 hours; seed 02 二、(三)1: 24 hours)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from xietong.desk.testing import build_test_org
from xietong.live import services as live
from xietong.meetings import services as meeting_services
from xietong.meetings.models import MeetingSeries
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh
from xietong.minutes import services
from xietong.minutes.tasks import minutes_duties_tick
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.obligations.tick import ledger_tick
from xietong.records import services as records

pytestmark = pytest.mark.django_db

START = sh(2026, 3, 9, 9, 0)
END = sh(2026, 3, 9, 10, 0)  # the series meets for 60 minutes (seed 02's cap)
CLAUSE = {"seed01-weekly": "第五条(二)3", "seed02-coordination": "二、(三)1"}


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def preset(request):
    return request.param


@pytest.fixture
def torg(db, preset):
    torg = build_test_org(preset=preset)
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)
    torg.series.refresh_from_db()
    return torg


@pytest.fixture
def meeting(torg):
    return published_meeting(torg, now=THU_1800)


def _window(meeting) -> timedelta:
    return timedelta(minutes=meeting.policy_version.rules.minutes("minutes_deadline"))


def _duties(meeting):
    return list(obligations_for(meeting).filter(kind=ObligationKind.MINUTES).order_by("id"))


def test_the_duty_opens_when_the_scheduled_end_passes(torg, preset, meeting):
    assert services.minutes_duties_open(now=END - timedelta(minutes=1)) == 0
    assert _duties(meeting) == []

    assert services.minutes_duties_open(now=END) == 1
    [duty] = _duties(meeting)
    assert duty.due_at == END + _window(meeting)
    assert duty.responsible == torg.recorder
    assert (duty.rule, duty.clause, duty.state) == (
        "minutes_deadline",
        CLAUSE[preset],
        Obligation.State.PENDING,
    )
    # Run again (or by a second worker): nothing more.
    assert services.minutes_duties_open(now=END + timedelta(minutes=1)) == 0
    assert len(_duties(meeting)) == 1


def test_the_worker_opens_it_every_minute(torg, meeting):
    with time_machine.travel(END + timedelta(seconds=30), tick=False):
        assert minutes_duties_tick.call_local() == 1
        assert minutes_duties_tick.call_local() == 0
    assert len(_duties(meeting)) == 1


def test_minutes_nobody_starts_turn_red(torg, meeting):
    services.minutes_duties_open(now=END)
    ledger_tick(now=END + _window(meeting) + timedelta(minutes=1))
    [duty] = _duties(meeting)
    assert duty.state == Obligation.State.BREACHED


def test_drafting_keeps_the_duty_the_end_opened(torg, meeting):
    services.minutes_duties_open(now=END)
    services.minutes_draft(meeting=meeting, actor=torg.recorder, now=END + timedelta(minutes=5))
    [duty] = _duties(meeting)
    assert duty.opened_at == END


def test_a_cancelled_meeting_owes_no_minutes(torg):
    meeting = published_meeting(torg, now=THU_1800)
    meeting_services.meeting_cancel(meeting=meeting, reason="取消", actor=torg.coordinator, now=THU_1800)
    assert services.minutes_duties_open(now=END + timedelta(days=1)) == 0
    assert _duties(meeting) == []


def test_the_live_rooms_end_opens_it_and_sets_the_window(torg, meeting):
    live.room_open(meeting=meeting, actor=torg.host, now=START)
    ended = sh(2026, 3, 9, 9, 40)  # twenty minutes early
    live.meeting_end(meeting=meeting, actor=torg.host, now=ended)
    [duty] = _duties(meeting)
    assert (duty.opened_at, duty.due_at) == (ended, ended + _window(meeting))
    assert services.minutes_duties_open(now=END) == 0


def test_an_overrun_moves_the_window_to_the_actual_end(torg, meeting):
    live.room_open(meeting=meeting, actor=torg.host, now=START)
    services.minutes_duties_open(now=END)  # the schedule says it is over; the room runs on
    ended = sh(2026, 3, 9, 10, 25)
    live.meeting_end(meeting=meeting, actor=torg.host, now=ended)
    first, retimed = _duties(meeting)
    assert (first.state, first.note) == (Obligation.State.WAIVED, "superseded")
    assert (retimed.state, retimed.due_at) == (Obligation.State.PENDING, ended + _window(meeting))


def test_the_acknowledgement_runs_from_the_actual_end(torg, preset, meeting):
    rule = meeting.policy_version.rules.get("decision_ack")
    if rule is None:
        pytest.skip("seed 02 has no acknowledgement window")
    live.room_open(meeting=meeting, actor=torg.host, now=START)
    ended = sh(2026, 3, 9, 9, 40)
    for item in meeting.agenda.items.all():
        if item.kind != item.Kind.OPEN_DISCUSSION:
            records.item_record(item=item, outcome="decided", actor=torg.recorder, now=ended)
    records.decision_create(
        meeting=meeting,
        text="技术部提交方案",
        department=torg.departments["tech"],
        responsible=torg.tech_head,
        due_on=sh(2026, 3, 20, 0, 0).date(),
        actor=torg.recorder,
        now=ended,
    )
    live.meeting_end(meeting=meeting, actor=torg.host, now=ended)
    records.record_close(meeting=meeting, actor=torg.recorder, now=ended + timedelta(minutes=5))
    [ack] = obligations_for(meeting).filter(kind=ObligationKind.DECISION_ACK)
    assert ack.due_at == ended + timedelta(minutes=rule.minutes)

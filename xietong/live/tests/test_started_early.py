"""The record and the live room agree on when a meeting started: a host who opens the room
early lets the recorder record at once; otherwise the schedule decides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xietong.core.errors import DomainError
from xietong.live import services
from xietong.meetings.hooks import has_started, started_at
from xietong.meetings.tests.factories import policy_version_with
from xietong.records import services as records

from .helpers import live_meeting


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def meeting(request, torg):
    meeting = live_meeting(torg)
    if request.param == "seed02-coordination":
        meeting.policy_version = policy_version_with(torg.policy, request.param)
        meeting.save()
    return meeting


def _first_item(meeting):
    return meeting.agenda.items.order_by("position").first()


def test_recording_waits_for_the_schedule_when_the_room_was_not_opened(torg, meeting):
    early = meeting.starts_at - timedelta(minutes=15)
    assert not has_started(meeting, early) and started_at(meeting) == meeting.starts_at
    with pytest.raises(DomainError) as refused:
        records.item_record(item=_first_item(meeting), outcome="closed", actor=torg.recorder, now=early)
    assert refused.value.code == "meeting_not_started"


def test_a_meeting_the_host_started_early_can_be_recorded_at_once(torg, meeting):
    early = meeting.starts_at - timedelta(minutes=20)
    services.room_open(meeting=meeting, actor=torg.host, now=early)
    assert started_at(meeting) == early and has_started(meeting, early + timedelta(minutes=1))
    record = records.item_record(
        item=_first_item(meeting),
        outcome="closed",
        notes="提前开始，已讨论",
        actor=torg.recorder,
        now=early + timedelta(minutes=5),
    )
    assert record.pk is not None and record.outcome == "closed"

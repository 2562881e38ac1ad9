"""The periodic obligation tick, and the task queue the settings configure (SQLite or Redis)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from huey import RedisHuey, SqliteHuey
from huey.contrib.djhuey import HUEY

from xietong.meetings.services import meeting_schedule
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.tasks import obligations_tick
from xietong.policy.calendar import SHANGHAI


def meeting_duties(torg):
    meeting = meeting_schedule(
        series=torg.series,
        starts_at=datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI),
        now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI),
    )
    duties = Obligation.objects.filter(
        subject_id=meeting.pk, kind__in=[ObligationKind.AGENDA, ObligationKind.NOTICE]
    )
    return {o.kind: o for o in duties}


def test_the_tick_marks_only_duties_past_their_deadline_breached(torg):
    duties = meeting_duties(torg)
    agenda_due = duties[ObligationKind.AGENDA].due_at
    notice_due = duties[ObligationKind.NOTICE].due_at
    assert agenda_due < notice_due

    with time_machine.travel(agenda_due, tick=False):
        assert obligations_tick.call_local() == 0  # due now is not yet late
    with time_machine.travel(notice_due, tick=False):
        assert obligations_tick.call_local() == 1
        assert obligations_tick.call_local() == 0  # a second run touches nothing

    states = dict(
        Obligation.objects.filter(pk__in=[o.pk for o in duties.values()]).values_list("kind", "state")
    )
    assert states == {
        ObligationKind.AGENDA: Obligation.State.BREACHED,
        ObligationKind.NOTICE: Obligation.State.PENDING,
    }


def test_the_tick_is_scheduled_every_minute():
    for minute in (0, 1, 17, 59):
        moment = datetime(2026, 3, 2, 1, minute)  # huey compares naive UTC
        assert obligations_tick.task_class in {type(t) for t in HUEY.read_periodic(moment)}


@pytest.mark.django_db(transaction=True)
def test_the_configured_queue_carries_the_tick_to_a_worker_and_back(torg):
    """Enqueue, take it off the queue as the consumer does (serialised through the store), run it.

    Uses the queue exactly as configured: SQLite by default, Redis when REDIS_URL is set (CI
    runs the suite a third time with Redis).
    """
    assert isinstance(HUEY, RedisHuey if settings.REDIS_URL else SqliteHuey)
    assert HUEY.immediate is False
    duties = meeting_duties(torg)

    result = obligations_tick()
    others = []
    try:
        for _ in range(1000):
            task = HUEY.dequeue()
            assert task is not None, "the task never reached the queue"
            if task.id == result.id:
                break
            others.append(task)  # someone else's task: put it back afterwards
        with time_machine.travel(duties[ObligationKind.NOTICE].due_at, tick=False):
            # Periodic tasks keep no result in the store; execute() hands back the value.
            value = HUEY.execute(task)
    finally:
        for other in others:
            HUEY.enqueue(other)

    assert value == 1
    assert Obligation.objects.filter(state=Obligation.State.BREACHED).count() == 1

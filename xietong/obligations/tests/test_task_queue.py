"""The tick as a queued task: its lease keeps two workers apart; huey's own lock on Redis."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import time_machine
from huey import RedisHuey

from xietong.core.leases import lease_acquire
from xietong.core.models import Event
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_open
from xietong.obligations.tasks import obligations_tick
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db
DUE = datetime(2026, 3, 20, 17, 30, tzinfo=SHANGHAI)
AFTER = datetime(2026, 3, 20, 17, 31, tzinfo=SHANGHAI)


def _duty(torg):
    return obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule="warning_lead_days",
        subject=torg.org,
        due=CalendarResult(DUE),
        policy_version=current_version(torg.policy),
        now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI),
        responsible=torg.tech_head,
        department=torg.departments["tech"],
    )


def test_a_worker_finding_the_tick_locked_changes_nothing(torg):
    ob = _duty(torg)
    with time_machine.travel(AFTER, tick=False):
        # another worker is in the middle of the tick
        other = lease_acquire(name="obligations-tick", now=AFTER)
        assert obligations_tick.call_local() is None
        assert Obligation.objects.get(pk=ob.pk).state == "pending"
        other.release(now=AFTER, completed=True)
        assert obligations_tick.call_local() == 1
        assert obligations_tick.call_local() == 0
    assert Event.objects.filter(name="obligation.breached").count() == 1


def test_two_redis_workers_on_the_same_tick_write_the_events_once(torg):
    """Two copies of the tick task on a real Redis queue (127.0.0.1:6379): while one worker holds
    the lock the other is refused; run one after the other, the second finds nothing to do."""
    huey = RedisHuey(f"xietong-test-{uuid.uuid4().hex[:8]}", host="127.0.0.1", port=6379, immediate=False)
    try:
        huey.storage.conn.ping()
    except Exception as error:  # pragma: no cover - environment without Redis
        pytest.fail(f"Redis at 127.0.0.1:6379 is required: {error}")

    @huey.task()
    @huey.lock_task("obligations-tick")
    def tick_task():
        return ledger_tick(now=AFTER).breached

    ob = _duty(torg)
    try:
        tick_task()
        tick_task()
        first, second = huey.dequeue(), huey.dequeue()
        assert first is not None and second is not None and huey.dequeue() is None
        locked = []
        huey.signal("locked")(lambda signal, task, *args: locked.append(task.id))
        with huey.lock_task("obligations-tick"):
            assert huey.execute(second) is None  # huey reports the lock as a signal, not a raise
        assert locked == [second.id]
        assert Obligation.objects.get(pk=ob.pk).state == "pending"
        assert huey.execute(first) == 1
        assert huey.execute(second) == 0
    finally:
        huey.storage.flush_all()
    assert Event.objects.filter(name="obligation.breached").count() == 1

"""The task layer: the periodic run, and two workers taking tasks from a Redis-backed Huey."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from xietong.meetings.tests.factories import THU_1800, published_meeting
from xietong.notify import tasks
from xietong.notify.models import Delivery, Message

D = Delivery.State


def test_a_run_dispatches_new_events_and_sends_what_is_due(torg, smtp):
    meeting = published_meeting(torg)
    assert tasks.run(budget=5) == meeting.rsvps.count()
    assert Message.objects.count() == meeting.rsvps.count()
    assert len(smtp.messages) == meeting.rsvps.count()
    assert tasks.run(budget=5) == 0


@pytest.mark.django_db(transaction=True)
def test_two_huey_workers_on_redis_send_each_delivery_once(workers, smtp):
    """Tasks queued in a Redis-backed Huey, taken by two worker processes."""
    from xietong.desk.testing import build_test_org

    from .worker_proc import make_huey

    name = f"xietong-test-{uuid.uuid4().hex}"
    huey, deliver_some = make_huey(name)
    try:
        published_meeting(build_test_org())
        tasks.notify_dispatch(now=THU_1800)
        total = Delivery.objects.count()
        for _ in range(total):
            deliver_some(THU_1800.isoformat())
        workers.snapshot()
        results = workers.run("huey", THU_1800, processes=2, env={"XIETONG_TEST_HUEY": name})
        assert sum(r.get("sent", 0) for r in results) == total
        assert workers.query("SELECT state, COUNT(*) FROM notify_delivery GROUP BY state") == [
            ("sent", total)
        ]
        recipients = Counter(m["To"] for m in smtp.messages)
        assert len(smtp.messages) == total and set(recipients.values()) == {1}
    finally:
        huey.storage.flush_all()

"""Periodic notification jobs run by the Huey consumer."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from xietong.policy.calendar import as_shanghai

from .services import next_due_at, notify_deliver, notify_digest, notify_dispatch

# One run keeps working (dispatching, sending, waiting for a robot's next send slot) for up
# to this long, so queued robot messages go out within the minute rather than one per run.
# It stays under a minute so runs do not pile up; `xietong serve` gives the Huey consumer
# two worker threads, so the obligation tick runs beside it on time.
RUN_SECONDS = 50


def run(*, budget: float = RUN_SECONDS) -> int:
    """Dispatch new events and send due deliveries until nothing is due within the budget."""
    deadline = time.monotonic() + budget
    sent = 0
    while True:
        now = timezone.now()
        while notify_dispatch(now=now):
            pass
        outcome = notify_deliver(now=now)
        sent += outcome.get("sent", 0)
        if not outcome:
            return sent  # nothing due, or all of it held by another worker's lease
        due = next_due_at()
        if due is None:
            return sent
        wait = (due - timezone.now()).total_seconds()
        if wait > 0 and time.monotonic() + wait > deadline:
            return sent
        if wait > 0:
            time.sleep(wait)


@db_periodic_task(crontab(minute="*"))
@lock_task("notify-run")
def notify_tick() -> int:
    """Every minute: events become messages, due deliveries are sent. The database rows are
    the queue; the lock only saves work (two runs at once would still not double-send)."""
    return run()


@db_task()
def notify_now() -> int:
    """On demand (e.g. after a notice is published): one short run."""
    return run(budget=5)


@db_periodic_task(crontab(minute="0"))
def notify_digest_tick() -> int:
    """Hourly; at NOTIFY_DIGEST_HOUR local time, bundle the day's digest e-mails."""
    now = timezone.now()
    if as_shanghai(now).hour != settings.NOTIFY_DIGEST_HOUR:
        return 0
    return notify_digest(now=now)

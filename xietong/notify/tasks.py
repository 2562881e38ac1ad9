"""Notification jobs run by the Huey consumer.

Delivery starts as soon as a notifiable event is committed (``queue_run_on_commit`` enqueues
``notify_now``); the minute tick is the safety net. Every run holds the ``notify-run`` lease
(xietong/core/leases.py), renewed between rounds, so a killed worker blocks nothing for
longer than the lease. A run works for at most NOTIFY_RUN_SECONDS, well inside the graceful
stop of ``xietong serve``, and when more is due soon it queues its own follow-up instead of
waiting: robot messages paced by the vendors' limits keep going out between minute ticks.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import close_old_connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from xietong.core.events import event_recorded
from xietong.core.leases import Lease, lease_acquire, lease_release_dead_holders
from xietong.policy.calendar import as_shanghai

from .handlers import REGISTRY
from .services import next_claimable_at, notify_deliver, notify_digest, notify_dispatch

LEASE = "notify-run"
# A follow-up further away than this is left to the minute tick.
FOLLOW_UP_WITHIN_SECONDS = 60


def run(*, budget: float, lease: Lease | None = None) -> int:
    """Dispatch new events and send due deliveries until nothing is due within the budget.

    Stops early when ``lease`` was lost (it lapsed and another run took it over).
    """
    deadline = time.monotonic() + budget
    sent = 0
    while True:
        now = timezone.now()
        if lease is not None and not lease.renew(now=now):
            return sent
        while notify_dispatch(now=now) and time.monotonic() < deadline:
            pass
        outcome = notify_deliver(now=now, deadline=deadline)
        sent += outcome.get("sent", 0)
        if not outcome or time.monotonic() >= deadline:
            return sent  # nothing due, all of it held by another worker's lease, or out of time
        due = next_claimable_at()
        if due is None:
            return sent
        wait = (due - timezone.now()).total_seconds()
        if wait > 0 and time.monotonic() + wait > deadline:
            return sent
        if wait > 0:
            time.sleep(wait)


def run_under_lease() -> int | None:
    """One run holding the ``notify-run`` lease; None when another worker holds it (that
    run dispatches whatever is new on its next round)."""
    lease = lease_acquire(name=LEASE, now=timezone.now())
    if lease is None:
        return None
    completed = False
    try:
        sent = run(budget=settings.NOTIFY_RUN_SECONDS, lease=lease)
        completed = True
    finally:
        lease.release(now=timezone.now(), completed=completed)
    due = next_claimable_at()
    if due is not None:
        delay = max(0.0, (due - timezone.now()).total_seconds())
        if delay <= FOLLOW_UP_WITHIN_SECONDS:
            notify_now.schedule(delay=delay)
    return sent


@db_periodic_task(crontab(minute="*"))
def notify_tick() -> int | None:
    """Every minute: the safety net behind the runs queued on commit."""
    return run_under_lease()


@db_task()
def notify_now() -> int | None:
    """Queued when a notifiable event is committed, and by a run with more due soon."""
    return run_under_lease()


def _enqueue_run() -> None:
    notify_now()


@receiver(event_recorded, dispatch_uid="notify.queue_run_on_commit")
def queue_run_on_commit(sender, *, event, **kwargs) -> None:
    """Receiver of ``core.events.event_recorded``: one ``notify_now`` per committed
    transaction that recorded a notifiable event (none if it rolls back)."""
    if not settings.NOTIFY_ENQUEUE_ON_COMMIT or event.name not in REGISTRY:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is _enqueue_run for entry in connection.run_on_commit):
        return
    # robust: the change is committed either way; if the queue is unreachable, the minute
    # tick delivers instead.
    transaction.on_commit(_enqueue_run, robust=True)


@on_startup()
def resume_after_restart() -> None:
    """A (re)started worker frees the leases of dead processes on this host and resumes
    delivery at once, rather than after the lease time and the next minute tick."""
    try:
        lease_release_dead_holders()
        notify_now()
    finally:
        close_old_connections()


@db_periodic_task(crontab(minute="0"))
def notify_digest_tick() -> int:
    """Hourly; at NOTIFY_DIGEST_HOUR local time, bundle the day's digest e-mails."""
    now = timezone.now()
    if as_shanghai(now).hour != settings.NOTIFY_DIGEST_HOUR:
        return 0
    return notify_digest(now=now)

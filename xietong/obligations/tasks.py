"""The ledger's periodic job, run by the Huey consumer (``xietong run_huey``, started by ``xietong serve``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xietong.core.leases import lease_acquire

from .tick import ledger_tick

LEDGER_LEASE = "obligations-tick"


@db_periodic_task(crontab(minute="*"))
def obligations_tick() -> int | None:
    """Every minute: breach overdue duties, escalate repeated misses, send due reminders.

    The scheduler reads the clock here, at the edge, and passes it in. The lease keeps two
    consumers from overlapping and lapses if its holder dies (xietong/core/leases.py); the tick
    itself is idempotent even without it (see xietong/obligations/tick.py), so a crash and
    restart never sends anything twice. None when another worker holds the lease.
    """
    lease = lease_acquire(name=LEDGER_LEASE, now=timezone.now())
    if lease is None:
        return None
    completed = False
    try:
        result = ledger_tick(now=timezone.now())
        completed = True
    finally:
        lease.release(now=timezone.now(), completed=completed)
    return result.breached

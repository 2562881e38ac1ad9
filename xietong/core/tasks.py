"""Periodic jobs run by the Huey consumer (``xietong run_huey``, started by ``xietong serve``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from xietong.obligations.tick import ledger_tick


@db_periodic_task(crontab(minute="*"))
@lock_task("obligations-tick")
def obligations_tick() -> int:
    """Every minute: breach overdue duties, escalate repeated misses, send due reminders.

    The scheduler reads the clock here, at the edge, and passes it in. The lock keeps two
    consumers from overlapping; the tick itself is idempotent even without it (see
    xietong/obligations/tick.py), so a crash and restart never sends anything twice.
    """
    result = ledger_tick(now=timezone.now())
    return result.breached

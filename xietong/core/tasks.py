"""Periodic jobs run by the Huey consumer (``xietong run_huey``, started by ``xietong serve``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xietong.obligations.services import obligations_mark_breached


@db_periodic_task(crontab(minute="*"))
def obligations_tick() -> int:
    """Every minute: pending duties past their deadline become breached.

    The scheduler reads the clock here, at the edge, and passes it in. The update only
    touches rows that are pending and due before now (an indexed range), so its cost
    follows the newly overdue duties, not the size of the ledger.
    """
    return obligations_mark_breached(now=timezone.now())

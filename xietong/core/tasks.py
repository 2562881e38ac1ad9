"""Periodic jobs of the foundation run by the Huey consumer (``xietong run_huey``, started by
``xietong serve``). The ledger's tick is the obligations app's (xietong/obligations/tasks.py)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .health import health_warn


@db_periodic_task(crontab(minute="*"))
def health_tick() -> int:
    """Every minute: e-mail the admins once when a job has stopped completing."""
    return len(health_warn(now=timezone.now()))

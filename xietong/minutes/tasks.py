"""The minutes' periodic job, run by the Huey consumer next to the ledger tick."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import minutes_duties_open


@db_periodic_task(crontab(minute="*"))
def minutes_duties_tick() -> int:
    """Every minute: open the minutes duty of each meeting whose end has passed without one.

    Safe to run twice at once: each meeting is locked and checked again before its duty opens.
    """
    return minutes_duties_open(now=timezone.now())

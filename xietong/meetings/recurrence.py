"""Recurrence arithmetic of a meeting series: when its next occurrences fall.

Plain functions over the series' rule (RFC 5545 RRULE) and its start time; no database. Times
are Shanghai wall-clock: a weekly Monday 09:00 series meets at 09:00 local time every Monday.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta
from typing import Protocol

from dateutil.rrule import rrulestr

from xietong.policy.calendar import SHANGHAI


class Recurring(Protocol):
    rrule: str
    start_time: time


def occurrences(rule: str, start_time: time, *, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` start times of ``rule`` at ``start_time`` strictly after ``after``
    (fewer when the rule ends first), in Shanghai time."""
    local_after = after.astimezone(SHANGHAI)
    dtstart = datetime.combine(local_after.date() - timedelta(days=7), start_time, tzinfo=SHANGHAI)
    recurrence = rrulestr(rule, dtstart=dtstart)
    found: list[datetime] = []
    moment = local_after
    while len(found) < count:
        nxt = recurrence.after(moment, inc=False)
        if nxt is None:
            break
        found.append(nxt)
        moment = nxt
    return found


def series_occurrences(series: Recurring, *, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` start times of ``series`` strictly after ``after`` (Shanghai wall-clock)."""
    return occurrences(series.rrule, series.start_time, after=after, count=count)


def first_free(series: Recurring, *, after: datetime, cancelled: Collection[datetime]) -> datetime | None:
    """The series' first start time after ``after`` that is not one of ``cancelled`` (a
    cancelled occurrence stays cancelled); None when the rule has no such occurrence."""
    for start in series_occurrences(series, after=after, count=len(cancelled) + 1):
        if start not in cancelled:
            return start
    return None

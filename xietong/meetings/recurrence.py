"""Recurrence arithmetic of a meeting series: when its next occurrences fall.

Plain functions over the series' rule (RFC 5545 RRULE) and its start time; no database. Times
are Shanghai wall-clock: a weekly Monday 09:00 series meets at 09:00 local time every Monday.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta
from typing import Protocol

from dateutil.rrule import rrulestr

from xietong.policy.calendar import SHANGHAI, BusinessCalendar, DayInfo, as_shanghai


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


def first_free(series: Recurring, *, after: datetime, taken: Collection[datetime]) -> datetime | None:
    """The series' first start time after ``after`` that is not one of ``taken`` (an occurrence
    that was cancelled stays cancelled, one that was moved stays moved); None when the rule has
    no such occurrence."""
    for start in series_occurrences(series, after=after, count=len(taken) + 1):
        if start not in taken:
            return start
    return None


def closed_day(start: datetime, calendar: BusinessCalendar) -> DayInfo | None:
    """The day of ``start`` when the organisation does not work on it (a public holiday, a
    weekend that is not a 调休 working day, or a day it closed itself); None on a working day."""
    info = calendar.day(as_shanghai(start).date())
    return None if info.working else info


def next_working_start(start: datetime, calendar: BusinessCalendar) -> datetime:
    """The first working day after ``start``'s date, at the same Shanghai wall-clock time."""
    local = as_shanghai(start)
    return calendar.next_working_day_at(local, local.time().replace(tzinfo=None)).value

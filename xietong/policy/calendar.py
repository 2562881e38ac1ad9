"""The business calendar: working days in mainland China, in Asia/Shanghai.

Plain Python, no Django. Official holidays and 调休 working weekends come from the
``chinese_calendar`` package, which only knows the years the State Council has published
(2004–2026 in 1.11.0). A year it does not know is *unpublished*: we fall back to Mon–Fri,
but every result that touched such a year carries the year in ``unpublished_years`` so the
UI can say "this deadline may move once the holiday notice is out". An unpublished year is
never silently treated as ordinary.

A year the library does not know yet can be *entered* from the State Council's notice
(``entered``: year -> {day: (working, name)} for its holidays and 调休 working days; the other
days of the year are Mon–Fri). An entered year is published: its results carry no flag.

Per-organisation overrides (``extra_closed`` / ``extra_working``) win over the official data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "BusinessCalendar",
    "CalendarResult",
    "DayInfo",
    "as_shanghai",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"
ADJUSTED_WORKDAY = "adjusted_workday"  # 调休上班: a weekend (or holiday) that is worked

IF_CLOSED_CHOICES = ("earlier", "later")

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CalendarResult:
    """A computed moment, plus the years whose official schedule was unknown when computing it."""

    value: datetime  # aware, Asia/Shanghai
    unpublished_years: frozenset[int] = field(default_factory=frozenset)

    @property
    def flagged(self) -> bool:
        return bool(self.unpublished_years)


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    kind: str  # "workday" | "weekend" | "holiday" | "adjusted_workday"
    holiday_name: str | None  # chinese_calendar's English name, e.g. "Spring Festival"
    published: bool  # False when the year's official schedule is not known


def as_shanghai(t: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai; a naive one is refused (its zone is a guess)."""
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()} refused: pass an aware datetime")
    return t.astimezone(SHANGHAI)


def _wall(at: time) -> time:
    if at.tzinfo is not None:
        raise ValueError("`at` must be a naive wall-clock time; it is read in Asia/Shanghai")
    return at


def _at(d: date, at: time) -> datetime:
    return datetime.combine(d, at, tzinfo=SHANGHAI)


@functools.cache
def _published_range() -> tuple[int, int]:
    # The same rule chinese_calendar applies before answering (it raises NotImplementedError
    # outside this range), computed once: the library recomputes it on every call.
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def _year_published(year: int) -> bool:
    first, last = _published_range()
    return first <= year <= last


def _official(d: date) -> tuple[bool, str | None] | None:
    """(working, holiday name) from the official schedule, or None when the year is unpublished.

    Mirrors chinese_calendar.get_holiday_detail over its public ``workdays``/``holidays`` tables.
    """
    if not _year_published(d.year):
        return None
    if d in chinese_calendar.workdays:
        return True, chinese_calendar.workdays[d]
    if d in chinese_calendar.holidays:
        return False, chinese_calendar.holidays[d]
    return d.weekday() < 5, None


class BusinessCalendar:
    """Working-day arithmetic for one organisation.

    All datetimes given may be in any zone (they are converted to Asia/Shanghai); naive ones
    raise ValueError. All results are aware Asia/Shanghai datetimes wrapped in CalendarResult.
    """

    def __init__(
        self,
        *,
        extra_closed: Iterable[date] = (),
        extra_working: Iterable[date] = (),
        work_start: time = time(9, 0),
        work_end: time = time(17, 30),
        entered: Mapping[int, Mapping[date, tuple[bool, str | None]]] | None = None,
    ) -> None:
        # Only years the library does not know: the library's own schedule always wins.
        self.entered = {y: dict(days) for y, days in (entered or {}).items() if not _year_published(y)}
        self.extra_closed = frozenset(extra_closed)
        self.extra_working = frozenset(extra_working)
        both = self.extra_closed & self.extra_working
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"dates both closed and working: {listed}")
        self.work_start = _wall(work_start)
        self.work_end = _wall(work_end)
        if not work_start < work_end:
            raise ValueError("work_start must be before work_end")
        self._days: dict[date, DayInfo] = {}

    # ---- single days -------------------------------------------------------------------

    def is_published(self, year: int) -> bool:
        """Whether the official holiday schedule for `year` is known (from the library, or entered)."""
        return _year_published(year) or year in self.entered

    def is_entered(self, year: int) -> bool:
        """Whether `year`'s schedule was entered by hand (the library does not know it)."""
        return year in self.entered

    def day(self, d: date) -> DayInfo:
        if isinstance(d, datetime):
            raise TypeError("day() takes a date; convert the datetime with as_shanghai(t).date()")
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._compute_day(d)
        return info

    def _compute_day(self, d: date) -> DayInfo:
        official = _official(d)
        if official is None and d.year in self.entered:
            official = self.entered[d.year].get(d, (d.weekday() < 5, None))
        published = official is not None
        weekend = d.weekday() >= 5
        if official is None:
            # Unpublished year: plain Mon–Fri (callers see the year in unpublished_years).
            off_officially, name = weekend, None
        else:
            off_officially, name = not official[0], official[1]

        if d in self.extra_working:
            kind = ADJUSTED_WORKDAY if (weekend or off_officially) else WORKDAY
            return DayInfo(d, True, kind, name, published)
        if d in self.extra_closed:
            kind = HOLIDAY if (not weekend or (off_officially and name)) else WEEKEND
            return DayInfo(d, False, kind, name if off_officially else None, published)

        if not off_officially:
            return DayInfo(d, True, ADJUSTED_WORKDAY if weekend else WORKDAY, name, published)
        # Weekends inside a break carry the holiday's name in chinese_calendar: show them as holiday.
        kind = HOLIDAY if (name or not weekend) else WEEKEND
        return DayInfo(d, False, kind, name, published)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def unpublished_between(self, start: date, end: date) -> frozenset[int]:
        """The unpublished years among those from `start` to `end` (either order), inclusive."""
        lo, hi = (start, end) if start <= end else (end, start)
        return frozenset(y for y in range(lo.year, hi.year + 1) if not self.is_published(y))

    # ---- stepping ----------------------------------------------------------------------

    def _next_working(self, d: date) -> date:
        """The first working day strictly after d."""
        d += _ONE_DAY
        while not self.day(d).working:
            d += _ONE_DAY
        return d

    def _previous_working(self, d: date) -> date:
        """The last working day strictly before d."""
        d -= _ONE_DAY
        while not self.day(d).working:
            d -= _ONE_DAY
        return d

    def _shift(self, d: date, n: int) -> date:
        if n == 0:
            return d if self.day(d).working else self._next_working(d)
        step = self._next_working if n > 0 else self._previous_working
        for _ in range(abs(n)):
            d = step(d)
        return d

    def _result(self, value: datetime, anchor: date) -> CalendarResult:
        # Every day between the anchor and the result was looked at (or is the anchor itself,
        # whose own status may be unknown), so any unpublished year in the span is reported.
        return CalendarResult(value, self.unpublished_between(anchor, value.date()))

    # ---- public arithmetic -------------------------------------------------------------

    def add_working_days(self, t: datetime, n: int) -> CalendarResult:
        """Same local time of day, on the n-th working day after (n < 0: before) t's local date.

        n == 0 gives t itself when its date is a working day, else the next working day.
        """
        local = as_shanghai(t)
        d = self._shift(local.date(), n)
        return self._result(_at(d, local.time()), local.date())

    def next_working_day_at(self, t: datetime, at: time) -> CalendarResult:
        """The first working day strictly after t's local date, at local time `at`."""
        local = as_shanghai(t)
        d = self._next_working(local.date())
        return self._result(_at(d, _wall(at)), local.date())

    def weekday_cutoff_before(
        self, meeting_start: datetime, weekday: int, at: time, if_closed: str
    ) -> CalendarResult:
        """The latest `weekday` (0=Mon … 6=Sun) strictly before the meeting's local date, at `at`.

        When that day is not a working day, "earlier" moves to the previous working day and
        "later" to the next one — but never onto or past the meeting date (then earlier).
        """
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Mon) … 6 (Sun), not {weekday!r}")
        if if_closed not in IF_CLOSED_CHOICES:
            raise ValueError(f"if_closed must be 'earlier' or 'later', not {if_closed!r}")
        meeting_day = as_shanghai(meeting_start).date()
        back = (meeting_day.weekday() - weekday) % 7 or 7
        d = meeting_day - timedelta(days=back)
        if not self.day(d).working:
            later = self._next_working(d) if if_closed == "later" else None
            d = later if later is not None and later < meeting_day else self._previous_working(d)
        return self._result(_at(d, _wall(at)), meeting_day)

    def working_days_before(
        self, meeting_start: datetime, days: int, at: time | None = None
    ) -> CalendarResult:
        """`days` working days before the meeting's local date, at `at` (None: the meeting's local time).

        days == 0 means the meeting's own date.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, not {days!r}")
        local = as_shanghai(meeting_start)
        d = local.date()
        for _ in range(days):
            d = self._previous_working(d)
        clock = local.time() if at is None else _wall(at)
        return self._result(_at(d, clock), local.date())

    def add_working_minutes(self, t: datetime, minutes: int) -> CalendarResult:
        """Move along a working-hours clock that only runs inside [work_start, work_end) on working days.

        The result is the earliest moment at which `minutes` working minutes have passed since t
        (for negative minutes: the latest moment that is that many working minutes before t).
        A count that ends exactly at work_end returns work_end, not the next morning.
        """
        local = as_shanghai(t)
        remaining = timedelta(minutes=abs(minutes))
        run = self._run_forward if minutes >= 0 else self._run_backward
        value = run(local, remaining)
        return self._result(value, local.date())

    def _run_forward(self, cur: datetime, remaining: timedelta) -> datetime:
        if not remaining:
            return cur
        d = cur.date()
        while True:
            if self.day(d).working:
                start = max(cur, _at(d, self.work_start))
                end = _at(d, self.work_end)
                if start < end:
                    if remaining <= end - start:
                        return start + remaining
                    remaining -= end - start
            d += _ONE_DAY
            cur = _at(d, self.work_start)

    def _run_backward(self, cur: datetime, remaining: timedelta) -> datetime:
        if not remaining:
            return cur
        d = cur.date()
        while True:
            if self.day(d).working:
                start = _at(d, self.work_start)
                end = min(cur, _at(d, self.work_end))
                if start < end:
                    if remaining <= end - start:
                        return end - remaining
                    remaining -= end - start
            d -= _ONE_DAY
            cur = _at(d, self.work_end)

    def working_days_between(self, start: date, end: date) -> list[date]:
        """The working days from start to end, both inclusive (empty when end < start)."""
        days = []
        d = start
        while d <= end:
            if self.day(d).working:
                days.append(d)
            d += _ONE_DAY
        return days

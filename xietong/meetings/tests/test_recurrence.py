"""When a series meets: pure arithmetic over its rule and start time (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from xietong.meetings.recurrence import (
    closed_day,
    first_free,
    next_working_start,
    occurrences,
    series_occurrences,
)
from xietong.policy.calendar import SHANGHAI, BusinessCalendar


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@dataclass
class Series:
    rrule: str = "FREQ=WEEKLY;BYDAY=MO"
    start_time: time = time(9, 0)


def test_a_weekly_series_meets_every_monday_at_its_time():
    assert series_occurrences(Series(), after=sh(2026, 3, 4, 12, 0), count=3) == [
        sh(2026, 3, 9, 9, 0),
        sh(2026, 3, 16, 9, 0),
        sh(2026, 3, 23, 9, 0),
    ]


def test_the_next_occurrence_is_strictly_after():
    assert series_occurrences(Series(), after=sh(2026, 3, 9, 9, 0)) == [sh(2026, 3, 16, 9, 0)]
    assert series_occurrences(Series(), after=sh(2026, 3, 9, 8, 59)) == [sh(2026, 3, 9, 9, 0)]


def test_times_are_shanghai_wall_clock_whatever_the_zone_asked_in():
    # Sunday 23:30 UTC is Monday 07:30 in Shanghai: that Monday's 09:00 meeting is next.
    assert series_occurrences(Series(), after=datetime(2026, 3, 8, 23, 30, tzinfo=UTC)) == [
        sh(2026, 3, 9, 9, 0)
    ]


def test_other_rules():
    fortnightly = occurrences("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", time(14, 30), after=sh(2026, 3, 2), count=2)
    assert [d.weekday() for d in fortnightly] == [3, 3]
    assert (fortnightly[1] - fortnightly[0]).days == 14
    assert all(d.time() == time(14, 30) for d in fortnightly)


def test_a_rule_that_ends_gives_fewer():
    assert occurrences("FREQ=WEEKLY;BYDAY=MO;COUNT=1", time(9, 0), after=sh(2026, 3, 4), count=3) == []


def test_a_cancelled_occurrence_is_skipped():
    cancelled = {sh(2026, 3, 9, 9, 0), sh(2026, 3, 16, 9, 0)}
    assert first_free(Series(), after=sh(2026, 3, 4), taken=cancelled) == sh(2026, 3, 23, 9, 0)
    assert first_free(Series(), after=sh(2026, 3, 4), taken=set()) == sh(2026, 3, 9, 9, 0)


def test_no_free_occurrence_when_the_rule_runs_out():
    series = Series(rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=1")
    assert first_free(series, after=sh(2026, 3, 4), taken=set()) is None


def test_a_meeting_on_a_public_holiday_is_offered_the_next_working_day():
    calendar = BusinessCalendar()
    # 国庆 2026: 1–7 October off; the Monday meeting goes to Thursday 8 October, same time.
    day = closed_day(sh(2026, 10, 5, 9, 0), calendar)
    assert day is not None and day.holiday_name == "National Day"
    assert next_working_start(sh(2026, 10, 5, 9, 0), calendar) == sh(2026, 10, 8, 9, 0)
    # 春节 2026: 15–23 February off.
    assert next_working_start(sh(2026, 2, 16, 14, 30), calendar) == sh(2026, 2, 24, 14, 30)
    # Saturday 10 October 2026 is a working day (调休); an ordinary Monday is too.
    assert closed_day(sh(2026, 10, 10, 9, 0), calendar) is None
    assert closed_day(sh(2026, 3, 9, 9, 0), calendar) is None
    # The organisation's own closed day counts as well.
    own = BusinessCalendar(extra_closed=[date(2026, 3, 9)])
    assert closed_day(sh(2026, 3, 9, 9, 0), own) is not None
    assert next_working_start(sh(2026, 3, 9, 9, 0), own) == sh(2026, 3, 10, 9, 0)

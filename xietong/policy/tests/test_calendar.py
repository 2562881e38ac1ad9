"""The business calendar, checked against the State Council notices for 2025 and 2026.

No Django and no database: xietong.policy.calendar is a plain module.
"""

import time as clock
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import holidays
import pytest

from xietong.policy.calendar import SHANGHAI, BusinessCalendar, CalendarResult, DayInfo


def sh(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def days(start, end):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


@pytest.fixture
def cal():
    return BusinessCalendar()


# The table in /work/shared/reference/integrations.md §3 (国办发明电〔2024〕12号 and the
# 2026 notice of 2025-11-04).
DAYS_OFF = {
    2025: [
        (date(2025, 1, 1), date(2025, 1, 1), "New Year's Day"),
        (date(2025, 1, 28), date(2025, 2, 4), "Spring Festival"),
        (date(2025, 4, 4), date(2025, 4, 6), "Tomb-sweeping Day"),
        (date(2025, 5, 1), date(2025, 5, 5), "Labour Day"),
        (date(2025, 5, 31), date(2025, 6, 2), "Dragon Boat Festival"),
        (date(2025, 10, 1), date(2025, 10, 8), None),  # National Day + Mid-autumn
    ],
    2026: [
        (date(2026, 1, 1), date(2026, 1, 3), "New Year's Day"),
        (date(2026, 2, 15), date(2026, 2, 23), "Spring Festival"),
        (date(2026, 4, 4), date(2026, 4, 6), "Tomb-sweeping Day"),
        (date(2026, 5, 1), date(2026, 5, 5), "Labour Day"),
        (date(2026, 6, 19), date(2026, 6, 21), "Dragon Boat Festival"),
        (date(2026, 9, 25), date(2026, 9, 27), "Mid-autumn Festival"),
        (date(2026, 10, 1), date(2026, 10, 7), "National Day"),
    ],
}
WORKING_WEEKENDS = {
    2025: [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)],
    2026: [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ],
}


# ---- single days ---------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_official_day_off_is_a_holiday(cal, year):
    for first, last, name in DAYS_OFF[year]:
        for d in days(first, last):
            info = cal.day(d)
            assert not info.working, d
            assert info.kind == "holiday", d
            assert info.published, d
            if name is not None:
                assert info.holiday_name == name, d


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_adjusted_weekend_is_a_working_day(cal, year):
    for d in WORKING_WEEKENDS[year]:
        assert d.weekday() >= 5, d
        info = cal.day(d)
        assert info.working, d
        assert info.kind == "adjusted_workday", d
        assert info.holiday_name is not None, d


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_table_decides_every_day_of_the_year(cal, year):
    off = {d for first, last, _name in DAYS_OFF[year] for d in days(first, last)}
    for d in days(date(year, 1, 1), date(year, 12, 31)):
        expected = d not in off and (d.weekday() < 5 or d in WORKING_WEEKENDS[year])
        assert cal.is_working_day(d) is expected, d


def test_named_examples(cal):
    assert cal.day(date(2026, 2, 14)) == DayInfo(
        date(2026, 2, 14), True, "adjusted_workday", "Spring Festival", True
    )
    assert cal.day(date(2026, 2, 16)) == DayInfo(date(2026, 2, 16), False, "holiday", "Spring Festival", True)
    assert cal.day(date(2025, 10, 8)) == DayInfo(date(2025, 10, 8), False, "holiday", "National Day", True)
    assert cal.day(date(2025, 10, 6)).holiday_name == "Mid-autumn Festival"
    assert cal.day(date(2025, 10, 11)) == DayInfo(
        date(2025, 10, 11), True, "adjusted_workday", "National Day", True
    )
    assert cal.day(date(2026, 3, 7)) == DayInfo(date(2026, 3, 7), False, "weekend", None, True)
    assert cal.day(date(2026, 3, 9)) == DayInfo(date(2026, 3, 9), True, "workday", None, True)


def test_cross_check_with_the_holidays_package(cal):
    cn = holidays.country_holidays("CN", years=[2025, 2026])
    weekend_workdays = cn.weekend_workdays
    for d in days(date(2025, 1, 1), date(2026, 12, 31)):
        theirs = (d.weekday() < 5 and d not in cn) or d in weekend_workdays
        assert cal.is_working_day(d) is theirs, d


def test_agrees_with_chinese_calendar_for_every_published_day(cal):
    for d in days(date(2004, 1, 1), date(2026, 12, 31)):
        assert cal.is_working_day(d) is chinese_calendar.is_workday(d), d


def test_unpublished_year_falls_back_to_monday_to_friday_and_says_so(cal):
    assert cal.is_published(2026)
    assert not cal.is_published(2027)
    assert not cal.is_published(2003)
    # 2027-01-01 will certainly be a holiday, but nobody has published 2027 yet.
    assert cal.day(date(2027, 1, 1)) == DayInfo(date(2027, 1, 1), True, "workday", None, False)
    assert cal.day(date(2027, 1, 2)) == DayInfo(date(2027, 1, 2), False, "weekend", None, False)


def test_working_days_between(cal):
    assert cal.working_days_between(date(2026, 2, 12), date(2026, 2, 25)) == [
        date(2026, 2, 12),
        date(2026, 2, 13),
        date(2026, 2, 14),
        date(2026, 2, 24),
        date(2026, 2, 25),
    ]
    assert cal.working_days_between(date(2026, 2, 25), date(2026, 2, 24)) == []


def test_a_thousand_days_are_fast():
    cal = BusinessCalendar()  # fresh instance: nothing cached on it
    start = clock.perf_counter()
    working = sum(cal.is_working_day(date(2024, 1, 1) + timedelta(days=i)) for i in range(1000))
    elapsed = clock.perf_counter() - start
    assert working == len(chinese_calendar.get_workdays(date(2024, 1, 1), date(2026, 9, 26))) == 682
    # generous for a loaded CI machine; a per-call scan of the holiday table takes seconds
    assert elapsed < 0.5


# ---- overrides -------------------------------------------------------------------------


def test_extra_closed_and_extra_working_win_over_official_data():
    cal = BusinessCalendar(
        extra_closed=[date(2026, 3, 10), date(2026, 2, 14)],
        extra_working=[date(2026, 3, 7), date(2026, 2, 16)],
    )
    assert cal.day(date(2026, 3, 10)) == DayInfo(date(2026, 3, 10), False, "holiday", None, True)
    assert cal.day(date(2026, 2, 14)) == DayInfo(date(2026, 2, 14), False, "weekend", None, True)
    assert cal.day(date(2026, 3, 7)) == DayInfo(date(2026, 3, 7), True, "adjusted_workday", None, True)
    assert cal.day(date(2026, 2, 16)) == DayInfo(
        date(2026, 2, 16), True, "adjusted_workday", "Spring Festival", True
    )
    assert cal.add_working_days(sh(2026, 3, 9, 10), 1).value == sh(2026, 3, 11, 10)
    assert cal.add_working_days(sh(2026, 2, 13, 10), 1).value == sh(2026, 2, 16, 10)
    assert cal.add_working_days(sh(2026, 2, 13, 10), 2).value == sh(2026, 2, 24, 10)


def test_a_date_cannot_be_both_closed_and_working():
    with pytest.raises(ValueError, match="2026-03-10"):
        BusinessCalendar(extra_closed=[date(2026, 3, 10)], extra_working=[date(2026, 3, 10)])


def test_work_hours_must_be_in_order():
    with pytest.raises(ValueError):
        BusinessCalendar(work_start=time(18, 0), work_end=time(9, 0))


# ---- add_working_days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Spring Festival 2026: off 2/15–2/23, Sat 2/14 worked.
        (sh(2026, 2, 13, 10), 1, sh(2026, 2, 14, 10)),
        (sh(2026, 2, 13, 10), 2, sh(2026, 2, 24, 10)),
        (sh(2026, 2, 13, 10), 3, sh(2026, 2, 25, 10)),
        (sh(2026, 2, 24, 10), -1, sh(2026, 2, 14, 10)),
        (sh(2026, 2, 24, 10), -2, sh(2026, 2, 13, 10)),
        (sh(2026, 2, 16, 10), 0, sh(2026, 2, 24, 10)),
        (sh(2026, 2, 16, 10), -1, sh(2026, 2, 14, 10)),
        (sh(2026, 2, 13, 10), 0, sh(2026, 2, 13, 10)),
        # National Day 2025: off 10/1–10/8, Sun 9/28 and Sat 10/11 worked.
        (sh(2025, 9, 30, 9), 1, sh(2025, 10, 9, 9)),
        (sh(2025, 9, 30, 9), 3, sh(2025, 10, 11, 9)),
        (sh(2025, 9, 30, 9), 4, sh(2025, 10, 13, 9)),
        (sh(2025, 9, 29, 9), -1, sh(2025, 9, 28, 9)),
        (sh(2025, 10, 9, 9), -1, sh(2025, 9, 30, 9)),
        (sh(2025, 10, 4, 9), 0, sh(2025, 10, 9, 9)),
    ],
)
def test_add_working_days(cal, start, n, expected):
    result = cal.add_working_days(start, n)
    assert result == CalendarResult(expected, frozenset())
    assert result.value.tzinfo is SHANGHAI
    assert not result.flagged


def test_input_in_another_zone_is_read_in_shanghai(cal):
    # 16:30 UTC on Friday 2026-02-13 is 00:30 on Saturday 2026-02-14 (a 调休 working day) in Shanghai.
    result = cal.add_working_days(datetime(2026, 2, 13, 16, 30, tzinfo=UTC), 1)
    assert result.value == sh(2026, 2, 24, 0, 30)
    assert result.value.utcoffset() == timedelta(hours=8)


def test_next_working_day_at(cal):
    assert cal.next_working_day_at(sh(2026, 2, 13, 18), time(9, 0)).value == sh(2026, 2, 14, 9)
    assert cal.next_working_day_at(sh(2026, 2, 14, 8), time(9, 0)).value == sh(2026, 2, 24, 9)
    assert cal.next_working_day_at(sh(2025, 9, 30, 23, 59), time(17, 30)).value == sh(2025, 10, 9, 17, 30)


# ---- weekday_cutoff_before ------------------------------------------------------------------


def test_weekday_cutoff_on_an_ordinary_week(cal):
    thu, fri = 3, 4
    # Meeting Monday 2026-03-09: Thursday 03-05 15:00, Friday 03-06 17:00.
    assert cal.weekday_cutoff_before(sh(2026, 3, 9, 10), thu, time(15), "earlier").value == sh(2026, 3, 5, 15)
    assert cal.weekday_cutoff_before(sh(2026, 3, 9, 10), fri, time(17), "earlier").value == sh(2026, 3, 6, 17)
    # A Thursday meeting takes the Thursday a week before, never the meeting day itself.
    assert cal.weekday_cutoff_before(sh(2026, 3, 12, 10), thu, time(15), "later").value == sh(2026, 3, 5, 15)


def test_weekday_cutoff_when_the_thursday_is_national_day(cal):
    thu = 3
    # Meeting Monday 2026-10-05 (itself in the break): the Thursday before is 10-01, National Day.
    meeting = sh(2026, 10, 5, 10)
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "earlier").value == sh(2026, 9, 30, 15)
    # "later" would be 10-08, after the meeting: fall back to earlier.
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "later").value == sh(2026, 9, 30, 15)
    # Meeting Thursday 2026-10-08: "later" would land on the meeting date itself: earlier again.
    meeting = sh(2026, 10, 8, 10)
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "later").value == sh(2026, 9, 30, 15)
    # 2025: Thursday 10-02 is in the break; the previous working day is Tuesday 09-30.
    assert cal.weekday_cutoff_before(sh(2025, 10, 9, 10), thu, time(15), "later").value == sh(2025, 9, 30, 15)


def test_weekday_cutoff_when_the_thursday_is_spring_festival(cal):
    thu = 3
    # Meeting Wednesday 2026-02-25: the Thursday before is 02-19, in the Spring Festival break.
    meeting = sh(2026, 2, 25, 10)
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "earlier").value == sh(2026, 2, 14, 15)
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "later").value == sh(2026, 2, 24, 15)
    # Meeting Tuesday 02-24: "later" is the meeting date itself, so earlier (the worked Saturday).
    meeting = sh(2026, 2, 24, 10)
    assert cal.weekday_cutoff_before(meeting, thu, time(15), "later").value == sh(2026, 2, 14, 15)


def test_weekday_cutoff_refuses_bad_arguments(cal):
    with pytest.raises(ValueError):
        cal.weekday_cutoff_before(sh(2026, 3, 9), 7, time(15), "earlier")
    with pytest.raises(ValueError):
        cal.weekday_cutoff_before(sh(2026, 3, 9), 3, time(15), "sooner")


# ---- working_days_before -----------------------------------------------------------------------


def test_working_days_before(cal):
    assert cal.working_days_before(sh(2026, 3, 9, 10), 3, time(17)).value == sh(2026, 3, 4, 17)
    assert cal.working_days_before(sh(2026, 2, 24, 9, 30), 1, time(9)).value == sh(2026, 2, 14, 9)
    assert cal.working_days_before(sh(2026, 2, 24, 9, 30), 1, None).value == sh(2026, 2, 14, 9, 30)
    assert cal.working_days_before(sh(2025, 10, 9, 14), 2, time(12)).value == sh(2025, 9, 29, 12)


# ---- unpublished years ------------------------------------------------------------------------


def test_a_meeting_in_january_2027_is_flagged(cal):
    result = cal.weekday_cutoff_before(sh(2027, 1, 11, 10), 3, time(15), "earlier")
    assert result == CalendarResult(sh(2027, 1, 7, 15), frozenset({2027}))
    assert result.flagged
    # The cut-off lands in 2026 (published) but the meeting's own date is a 2027 guess.
    result = cal.weekday_cutoff_before(sh(2027, 1, 4, 10), 3, time(15), "earlier")
    assert result == CalendarResult(sh(2026, 12, 31, 15), frozenset({2027}))
    # Mon–Fri fallback: the Friday 2027-01-01 counts as a working day until the notice is out.
    result = cal.working_days_before(sh(2027, 1, 4, 10), 1, time(9))
    assert result == CalendarResult(sh(2027, 1, 1, 9), frozenset({2027}))


def test_stepping_into_2027_is_flagged(cal):
    assert cal.add_working_days(sh(2026, 12, 31, 10), 1) == CalendarResult(
        sh(2027, 1, 1, 10), frozenset({2027})
    )
    assert cal.next_working_day_at(sh(2026, 12, 31, 18), time(9)).unpublished_years == frozenset({2027})
    assert cal.add_working_minutes(sh(2026, 12, 31, 17), 60).unpublished_years == frozenset({2027})
    assert cal.add_working_days(sh(2026, 12, 30, 10), 1) == CalendarResult(sh(2026, 12, 31, 10), frozenset())


def test_calendar_result_flag():
    assert not CalendarResult(sh(2026, 1, 5)).flagged
    assert CalendarResult(sh(2026, 1, 5)).unpublished_years == frozenset()
    assert CalendarResult(sh(2026, 1, 5), frozenset({2027})).flagged


# ---- add_working_minutes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (sh(2026, 3, 5, 16), 120, sh(2026, 3, 6, 9, 30)),  # Thu 90 min + Fri 30 min
        (sh(2026, 3, 5, 11, 45), 60, sh(2026, 3, 5, 12, 45)),  # no lunch break in the clock
        (sh(2026, 3, 6, 17), 60, sh(2026, 3, 9, 9, 30)),  # across the weekend
        (sh(2026, 3, 5, 7), 30, sh(2026, 3, 5, 9, 30)),  # before opening
        (sh(2026, 3, 5, 20), 30, sh(2026, 3, 6, 9, 30)),  # after closing
        (sh(2026, 3, 7, 11), 30, sh(2026, 3, 9, 9, 30)),  # on a Saturday
        (sh(2026, 3, 5, 9), 510, sh(2026, 3, 5, 17, 30)),  # a full day ends at closing, not next morning
        (sh(2026, 3, 5, 9), 511, sh(2026, 3, 6, 9, 1)),
        (sh(2026, 2, 13, 17), 60, sh(2026, 2, 14, 9, 30)),  # into the worked Saturday
        (sh(2026, 2, 14, 17), 60, sh(2026, 2, 24, 9, 30)),  # over the Spring Festival break
        (sh(2026, 3, 9, 9, 30), -60, sh(2026, 3, 6, 17)),  # backwards over the weekend
        (sh(2026, 3, 5, 20), -30, sh(2026, 3, 5, 17)),
        (sh(2026, 3, 7, 11), 0, sh(2026, 3, 7, 11)),
    ],
)
def test_add_working_minutes(cal, start, minutes, expected):
    assert cal.add_working_minutes(start, minutes) == CalendarResult(expected, frozenset())


def test_add_working_minutes_with_other_hours():
    cal = BusinessCalendar(work_start=time(8, 30), work_end=time(12, 0))
    assert cal.add_working_minutes(sh(2026, 3, 6, 11), 90).value == sh(2026, 3, 9, 9, 0)


# ---- naive datetimes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda cal, t: cal.add_working_days(t, 1),
        lambda cal, t: cal.next_working_day_at(t, time(9)),
        lambda cal, t: cal.weekday_cutoff_before(t, 3, time(15), "earlier"),
        lambda cal, t: cal.working_days_before(t, 1, time(9)),
        lambda cal, t: cal.add_working_minutes(t, 30),
    ],
)
def test_naive_datetimes_are_refused(cal, call):
    with pytest.raises(ValueError, match="naive"):
        call(cal, datetime(2026, 3, 9, 10, 0))

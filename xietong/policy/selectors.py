"""Reading policies and the organisation's business calendar."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from functools import lru_cache

from django.db.models import Subquery
from django.utils import timezone

from xietong.org.models import Organization

from .calendar import BusinessCalendar
from .models import HolidaySchedule, Policy, PolicyVersion


def business_calendar(org: Organization | None = None) -> BusinessCalendar:
    """The organisation's calendar: official holidays plus its own closed/working days.

    Asked on most pages: the organisation's four calendar columns are read with one
    query, and the calendar built from them is kept per process for as long as they are the
    same (an edit changes the key, so no calendar is ever older than the row; its day cache
    stays warm between requests). The same query reads the token of the latest holiday
    schedule entered by hand; the schedules themselves are read again only when it changes."""
    if org is not None:
        return _calendar(
            tuple(org.extra_closed_days),
            tuple(org.extra_working_days),
            org.work_start,
            org.work_end,
            _latest_schedule().values_list("token", flat=True).first(),
        )
    row = (
        Organization.objects.order_by("id")
        .annotate(schedules=Subquery(_latest_schedule().values("token")[:1]))
        .values_list("extra_closed_days", "extra_working_days", "work_start", "work_end", "schedules")
        .first()
    )
    if row is None:
        return business_calendar(Organization.current())  # creates the organisation
    return calendar_of_columns(*row)


def _latest_schedule():
    return HolidaySchedule.objects.order_by("-id")


def calendar_of_columns(closed, working, start, end, schedules: str | None = None) -> BusinessCalendar:
    """The calendar of the organisation's four calendar columns as a query returns them (for a
    page that reads them with another row), and the latest entered schedule's token."""
    if isinstance(closed, str) and isinstance(working, str):  # JSON text: kept per text
        return _calendar_of_text(closed, working, start, end, schedules)
    return _calendar(_days(closed), _days(working), _time(start), _time(end), schedules)


@lru_cache(maxsize=16)
def _calendar_of_text(closed: str, working: str, start, end, schedules: str | None) -> BusinessCalendar:
    return _calendar(_days(closed), _days(working), _time(start), _time(end), schedules)


def _days(value) -> tuple[str, ...]:
    # JSON text on SQLite, already decoded on PostgreSQL (jsonb).
    return tuple(json.loads(value) if isinstance(value, str) else value or ())


def _time(value) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


@lru_cache(maxsize=16)
def _calendar(
    closed: tuple[str, ...], working: tuple[str, ...], start: time, end: time, schedules: str | None = None
) -> BusinessCalendar:
    return BusinessCalendar(
        extra_closed=[date.fromisoformat(d) for d in closed],
        extra_working=[date.fromisoformat(d) for d in working],
        work_start=start,
        work_end=end,
        entered=_entered_schedules(schedules),
    )


@lru_cache(maxsize=4)
def _entered_schedules(token: str | None) -> dict[int, dict[date, tuple[bool, str | None]]]:
    """year -> {day: (working, name)} from the latest entered schedule of each year (none
    when no schedule was ever entered: no query)."""
    if token is None:
        return {}
    out: dict[int, dict[date, tuple[bool, str | None]]] = {}
    for schedule in HolidaySchedule.objects.order_by("id").only("year", "holidays", "working_days"):
        out[schedule.year] = schedule_days(schedule.holidays, schedule.working_days)
    return out


def schedule_days(holidays, working_days) -> dict[date, tuple[bool, str | None]]:
    """The stored ranges of one year's schedule as day -> (working, name)."""
    days: dict[date, tuple[bool, str | None]] = {}
    for first, last, name in holidays:
        d, end = date.fromisoformat(first), date.fromisoformat(last)
        while d <= end:
            days[d] = (False, name)
            d = date.fromordinal(d.toordinal() + 1)
    for day, name in working_days:
        days[date.fromisoformat(day)] = (True, name or None)
    return days


def latest_schedule(year: int) -> HolidaySchedule | None:
    """The schedule of ``year`` entered last, with who entered it."""
    return HolidaySchedule.objects.filter(year=year).select_related("entered_by").order_by("-id").first()


def current_version(policy: Policy, *, at: datetime | None = None) -> PolicyVersion:
    """The version in force at ``at`` (now by default): the newest approved version whose
    moment of effect has come. A draft, or an approved version effective later, is not."""
    version = policy.versions.in_force(at or timezone.now()).order_by("-number").first()
    if version is None:
        raise LookupError(f"policy {policy.key} has no version in force")
    return version


def latest_version(policy: Policy) -> PolicyVersion | None:
    """The newest version, whatever its status (what an editor starts from)."""
    return policy.versions.order_by("-number").first()

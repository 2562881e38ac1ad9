"""Reading policies and the organisation's business calendar."""

from __future__ import annotations

import json
from datetime import date, time
from functools import lru_cache

from xietong.org.models import Organization

from .calendar import BusinessCalendar
from .models import Policy, PolicyVersion


def business_calendar(org: Organization | None = None) -> BusinessCalendar:
    """The organisation's calendar: official holidays plus its own closed/working days.

    Asked on most pages: the organisation's four calendar columns are read with one
    query, and the calendar built from them is kept per process for as long as they are the
    same (an edit changes the key, so no calendar is ever older than the row; its day cache
    stays warm between requests)."""
    if org is not None:
        return _calendar(
            tuple(org.extra_closed_days), tuple(org.extra_working_days), org.work_start, org.work_end
        )
    row = (
        Organization.objects.order_by("id")
        .values_list("extra_closed_days", "extra_working_days", "work_start", "work_end")
        .first()
    )
    if row is None:
        return business_calendar(Organization.current())  # creates the organisation
    return calendar_of_columns(*row)


def calendar_of_columns(closed, working, start, end) -> BusinessCalendar:
    """The calendar of the organisation's four calendar columns as a query returns them (for a
    page that reads them with another row)."""
    if isinstance(closed, str) and isinstance(working, str):  # JSON text: kept per text
        return _calendar_of_text(closed, working, start, end)
    return _calendar(_days(closed), _days(working), _time(start), _time(end))


@lru_cache(maxsize=16)
def _calendar_of_text(closed: str, working: str, start, end) -> BusinessCalendar:
    return _calendar(_days(closed), _days(working), _time(start), _time(end))


def _days(value) -> tuple[str, ...]:
    # JSON text on SQLite, already decoded on PostgreSQL (jsonb).
    return tuple(json.loads(value) if isinstance(value, str) else value or ())


def _time(value) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


@lru_cache(maxsize=16)
def _calendar(closed: tuple[str, ...], working: tuple[str, ...], start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar(
        extra_closed=[date.fromisoformat(d) for d in closed],
        extra_working=[date.fromisoformat(d) for d in working],
        work_start=start,
        work_end=end,
    )


def current_version(policy: Policy) -> PolicyVersion:
    version = policy.versions.order_by("-number").first()
    if version is None:
        raise LookupError(f"policy {policy.key} has no version")
    return version

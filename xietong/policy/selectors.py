"""Reading policies and the organisation's business calendar."""

from __future__ import annotations

from datetime import date

from xietong.org.models import Organization

from .calendar import BusinessCalendar
from .models import Policy, PolicyVersion


def business_calendar(org: Organization | None = None) -> BusinessCalendar:
    """The organisation's calendar: official holidays plus its own closed/working days."""
    org = org or Organization.current()
    return BusinessCalendar(
        extra_closed=[date.fromisoformat(d) for d in org.extra_closed_days],
        extra_working=[date.fromisoformat(d) for d in org.extra_working_days],
        work_start=org.work_start,
        work_end=org.work_end,
    )


def current_version(policy: Policy) -> PolicyVersion:
    version = policy.versions.order_by("-number").first()
    if version is None:
        raise LookupError(f"policy {policy.key} has no version")
    return version

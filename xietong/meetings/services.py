"""Meetings: scheduling occurrences of a series, with their agenda and notice duties."""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.rrule import rrulestr
from django.db import transaction

from xietong.core.events import record_event
from xietong.obligations.models import ObligationKind
from xietong.obligations.services import obligation_open
from xietong.org.models import Role
from xietong.org.permissions import holders
from xietong.policy.calendar import SHANGHAI
from xietong.policy.selectors import business_calendar, current_version

from .models import Meeting, MeetingSeries


def series_occurrences(series: MeetingSeries, *, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` start times of ``series`` strictly after ``after`` (Shanghai wall-clock)."""
    local_after = after.astimezone(SHANGHAI)
    dtstart = datetime.combine(local_after.date() - timedelta(days=7), series.start_time, tzinfo=SHANGHAI)
    rule = rrulestr(series.rrule, dtstart=dtstart)
    found: list[datetime] = []
    moment = local_after
    while len(found) < count:
        nxt = rule.after(moment, inc=False)
        if nxt is None:
            break
        found.append(nxt)
        moment = nxt
    return found


def _open_meeting_duties(meeting: Meeting, *, now: datetime) -> None:
    """The coordinator must confirm the agenda and publish the notice before their cut-offs."""
    version = meeting.policy_version
    rules = version.rules
    calendar = business_calendar()
    coordinator = next(iter(holders(Role.COORDINATOR)), None)
    for kind, rule in ((ObligationKind.AGENDA, "agenda_cutoff"), (ObligationKind.NOTICE, "notice_lead")):
        due = rules.deadline(rule, meeting.starts_at, calendar)
        if due is None:
            continue
        obligation_open(
            kind=kind,
            rule=rule,
            subject=meeting,
            due=due,
            policy_version=version,
            now=now,
            responsible=coordinator,
            department=coordinator.department if coordinator else None,
        )


def meeting_schedule(
    *,
    series: MeetingSeries | None,
    starts_at: datetime,
    now: datetime,
    actor=None,
    title: str | None = None,
    duration_minutes: int | None = None,
    policy=None,
    location: str | None = None,
    host=None,
    recorder=None,
    is_emergency: bool = False,
    emergency_reason: str = "",
) -> Meeting:
    """Create one meeting (of ``series`` or standalone) and open its agenda/notice duties.

    The meeting keeps the policy version current at scheduling; its length never
    exceeds the policy's duration cap. Records ``meeting.scheduled``.
    """
    policy = policy or series.policy
    version = current_version(policy)
    cap = version.rules.minutes("meeting_duration_cap")
    minutes = min(duration_minutes or (series.duration_minutes if series else cap), cap)
    local = starts_at.astimezone(SHANGHAI)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            series=series,
            policy_version=version,
            title=title or (f"{series.name}（{local:%Y-%m-%d}）" if series else ""),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            location=location if location is not None else (series.location if series else ""),
            online_url=series.online_url if series else "",
            host=host or (series.host if series else None),
            recorder=recorder or (series.recorder if series else None),
            is_emergency=is_emergency,
            emergency_reason=emergency_reason,
        )
        _open_meeting_duties(meeting, now=now)
        record_event(name="meeting.scheduled", actor=actor, subject=meeting, now=now, emergency=is_emergency)
    return meeting


def series_next_meeting(*, series: MeetingSeries, now: datetime, actor=None) -> Meeting:
    """The series' next meeting that has not started, scheduling it if needed."""
    existing = (
        Meeting.objects.filter(series=series, starts_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if existing is not None:
        return existing
    (start,) = series_occurrences(series, after=now, count=1)
    return meeting_schedule(series=series, starts_at=start, now=now, actor=actor)


def series_meeting_after(*, meeting: Meeting, now: datetime, actor=None) -> Meeting:
    """The series' meeting following ``meeting`` (for roll-over), scheduling it if needed."""
    nxt = (
        Meeting.objects.filter(series=meeting.series_id and meeting.series, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if nxt is not None:
        return nxt
    (start,) = series_occurrences(meeting.series, after=meeting.starts_at, count=1)
    return meeting_schedule(series=meeting.series, starts_at=start, now=now, actor=actor)

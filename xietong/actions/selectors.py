"""Reading action items. "Overdue" is derived, never stored: an open or in-progress item is
overdue once the end of the working day of its due date has passed (a due date on a closed
day moves to the end of the next working day), per the organisation's business calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Case, OuterRef, Q, QuerySet, Subquery, Value, When

from xietong.policy.calendar import SHANGHAI, BusinessCalendar, as_shanghai
from xietong.policy.selectors import business_calendar

from .models import ActionItem, ProgressReport

OPEN_STATES = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)
PAGE_SIZE = 50
# A run of closed days longer than this does not occur in the official calendar.
_MAX_CLOSED_RUN = 40


def action_deadline(due_on: date, calendar: BusinessCalendar) -> datetime:
    """The moment an item due on ``due_on`` becomes overdue (aware, Shanghai)."""
    end = datetime.combine(due_on, calendar.work_end, tzinfo=SHANGHAI)
    return calendar.add_working_days(end, 0).value


def is_overdue(item: ActionItem, *, now: datetime, calendar: BusinessCalendar) -> bool:
    return item.status in OPEN_STATES and now > action_deadline(item.due_on, calendar)


def overdue_cutoff(*, now: datetime, calendar: BusinessCalendar) -> date:
    """The latest due date that is overdue at ``now``: overdue ⇔ open and ``due_on <= cutoff``."""
    day = as_shanghai(now).date()
    for _step in range(_MAX_CLOSED_RUN):
        if now > action_deadline(day, calendar):
            return day
        day -= timedelta(days=1)
    return day


def with_overdue(qs: QuerySet, *, now: datetime, calendar: BusinessCalendar | None = None) -> QuerySet:
    """``qs`` annotated with ``overdue`` (bool) as of ``now``."""
    cutoff = overdue_cutoff(now=now, calendar=calendar or business_calendar())
    return qs.annotate(
        overdue=Case(
            When(Q(status__in=OPEN_STATES, due_on__lte=cutoff), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def _base() -> QuerySet:
    return ActionItem.objects.select_related("department", "owner", "meeting", "decision")


def actions_for_owner(person, *, now: datetime) -> QuerySet:
    """我的待办: the person's open and in-progress items, earliest due first."""
    return with_overdue(_base().filter(owner=person, status__in=OPEN_STATES), now=now).order_by(
        "due_on", "id"
    )


def actions_for_department(department, *, now: datetime) -> QuerySet:
    """A head's view: the department's open and in-progress items, earliest due first."""
    return with_overdue(_base().filter(department=department, status__in=OPEN_STATES), now=now).order_by(
        "due_on", "id"
    )


@dataclass(frozen=True)
class Page:
    items: list
    next_key: tuple[date, int] | None


def actions_for_coordinator(
    *,
    now: datetime,
    department=None,
    status: str | None = None,
    overdue: bool | None = None,
    meeting=None,
    due_from: date | None = None,
    due_to: date | None = None,
    after: tuple[date, int] | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Every action item, filtered, one page keyed by (due_on, id) after ``after``.

    No OFFSET and no COUNT: one query per page whatever the table's size.
    """
    cutoff = overdue_cutoff(now=now, calendar=business_calendar())
    qs = _base()
    if department is not None:
        qs = qs.filter(department=department)
    if status:
        qs = qs.filter(status=status)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    if due_from is not None:
        qs = qs.filter(due_on__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_on__lte=due_to)
    if overdue is True:
        qs = qs.filter(status__in=OPEN_STATES, due_on__lte=cutoff)
    elif overdue is False:
        qs = qs.exclude(status__in=OPEN_STATES, due_on__lte=cutoff)
    if after is not None:
        due, pk = after
        qs = qs.filter(Q(due_on__gt=due) | Q(due_on=due, id__gt=pk))
    qs = qs.annotate(
        overdue=Case(
            When(Q(status__in=OPEN_STATES, due_on__lte=cutoff), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).order_by("due_on", "id")
    rows = list(qs[: limit + 1])
    next_key = (rows[limit - 1].due_on, rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_key=next_key)


@dataclass(frozen=True)
class FollowUp:
    item: ActionItem
    report: ProgressReport | None


def followup_for_meeting(meeting) -> list[FollowUp]:
    """ "上次会议决议跟进": each open item decided at an earlier meeting of ``meeting``'s series,
    with its latest progress report (None when the liaison has not reported), by due date.
    Two queries.
    """
    if meeting.series_id is None:
        return []
    latest = ProgressReport.objects.filter(action_item=OuterRef("pk")).order_by("-reported_at", "-id")
    items = list(
        _base()
        .filter(
            meeting__series_id=meeting.series_id,
            meeting__starts_at__lt=meeting.starts_at,
            status__in=OPEN_STATES,
        )
        .annotate(latest_report_id=Subquery(latest.values("pk")[:1]))
        .order_by("due_on", "id")
    )
    report_ids = [i.latest_report_id for i in items if i.latest_report_id]
    reports = ProgressReport.objects.select_related("reporter").in_bulk(report_ids) if report_ids else {}
    return [FollowUp(item=i, report=reports.get(i.latest_report_id)) for i in items]


def ack_duties_for_meeting(meeting) -> list:
    """The DECISION_ACK duties of ``meeting`` (waived ones left out), by department: one query."""
    from django.contrib.contenttypes.models import ContentType

    from xietong.obligations.models import Obligation, ObligationKind

    return list(
        Obligation.objects.filter(
            kind=ObligationKind.DECISION_ACK,
            subject_type=ContentType.objects.get_for_model(meeting),
            subject_id=meeting.pk,
        )
        .exclude(state=Obligation.State.WAIVED)
        .select_related("department", "responsible")
        .order_by("department__name", "id")
    )


def ack_duties_for_liaison(department_ids) -> list:
    """Open DECISION_ACK duties of the given departments, soonest first, with their meetings:
    two queries."""
    from xietong.meetings.models import Meeting
    from xietong.obligations.models import Obligation, ObligationKind

    if not department_ids:
        return []
    duties = list(
        Obligation.objects.filter(
            kind=ObligationKind.DECISION_ACK,
            department_id__in=department_ids,
            state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
            closed_at__isnull=True,
        )
        .select_related("department")
        .order_by("due_at", "id")[:PAGE_SIZE]
    )
    meetings = Meeting.objects.in_bulk({d.subject_id for d in duties}) if duties else {}
    for duty in duties:
        duty.meeting = meetings.get(duty.subject_id)
    return duties

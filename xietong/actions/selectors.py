"""Reading action items. Whether an item is overdue, and its colour, follow the rules in
xietong.obligations.colours (never stored)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import Forbidden
from xietong.meetings.models import Meeting
from xietong.obligations.colours import filter_overdue, with_action_colour, with_overdue
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Role
from xietong.org.permissions import Roles, roles_of
from xietong.policy.calendar import BusinessCalendar, as_shanghai
from xietong.policy.selectors import business_calendar

from .models import ActionItem, ProgressReport

OPEN_STATES = ActionItem.OPEN_STATES
PAGE_SIZE = 50
# The follow-up under an agenda shows the earliest-due items only; the rest are one link away
# (the action list filtered to the series), so the meeting page does not grow with the history.
FOLLOWUP_LIMIT = 20

# What a row of the lists shows: the item, its owner's name, its department and meeting.
_ROW_FIELDS = (
    "title",
    "due_on",
    "status",
    "decision",
    "owner__full_name",
    "owner__username",
    "department__name",
    "meeting__title",
)


def _listed(qs: QuerySet) -> QuerySet:
    return qs.select_related("owner", "department", "meeting").only(*_ROW_FIELDS)


@dataclass(frozen=True)
class Page:
    items: list
    next_key: tuple[date, int] | None


def _page(qs: QuerySet, limit: int) -> Page:
    """The first ``limit`` rows of ``qs`` by (due_on, id), read as LIMIT limit + 1 (no COUNT)."""
    rows = list(qs.order_by("due_on", "id")[: limit + 1])
    next_key = (rows[limit - 1].due_on, rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_key=next_key)


def _after(qs: QuerySet, after: tuple[date, int] | None) -> QuerySet:
    if after is None:
        return qs
    due, pk = after
    return qs.filter(Q(due_on__gt=due) | Q(due_on=due, id__gt=pk))


def _open_walks(qs: QuerySet, *, limit: int, after: tuple[date, int] | None = None) -> QuerySet:
    """The ids of the first ``limit`` open or in-progress items of ``qs`` by (due_on, id) after
    ``after``.

    Each open state is walked separately along an index ending in (status, due_on, id), each
    walk stopping after ``limit`` rows; filtering ``status IN (...)`` instead makes the database
    sort every open item of ``qs``, which grows with the history. The walks are joined with
    UNION ALL: an OR of ``IN`` subqueries makes PostgreSQL scan the whole table against them.
    """
    walks = []
    for state in OPEN_STATES:
        walk = _after(qs.filter(status=state), after).order_by("due_on", "id")
        walks.append(ActionItem.objects.filter(pk__in=walk.values("pk")[:limit]).order_by().values("pk"))
    return walks[0].union(*walks[1:], all=True)


def open_rows(
    *, owner=None, department=None, limit: int, cutoff: date, after: tuple[date, int] | None = None
) -> list[ActionItem]:
    """The first ``limit`` open and in-progress items of ``owner`` or of ``department`` by
    (due_on, id) after ``after``, with owner, department and meeting, and ``overdue`` as of
    ``cutoff`` (colours.overdue_cutoff). One query."""
    whose = (
        ActionItem.objects.filter(owner=owner)
        if owner is not None
        else ActionItem.objects.filter(department=department)
    )
    qs = _listed(ActionItem.objects.filter(pk__in=_open_walks(whose, limit=limit, after=after)))
    return list(with_overdue(qs, cutoff=cutoff).order_by("due_on", "id")[:limit])


def open_page(*, now: datetime, owner=None, department=None, after=None, limit: int = PAGE_SIZE) -> Page:
    """One page of the open items of ``owner`` or ``department`` after ``after``, with
    ``overdue`` and ``colour`` as of ``now`` (colours.with_action_colour). One query."""
    whose = (
        ActionItem.objects.filter(owner=owner)
        if owner is not None
        else ActionItem.objects.filter(department=department)
    )
    qs = _listed(ActionItem.objects.filter(pk__in=_open_walks(whose, limit=limit + 1, after=after)))
    return _page(with_action_colour(qs, now=now), limit)


def actions_for_coordinator(
    *,
    now: datetime,
    department=None,
    status: str | None = None,
    overdue: bool | None = None,
    meeting=None,
    series=None,
    due_from: date | None = None,
    due_to: date | None = None,
    after: tuple[date, int] | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Every action item, filtered, one page keyed by (due_on, id) after ``after``, with
    ``overdue`` and ``colour`` as of ``now``. No OFFSET and no COUNT: one query per page
    whatever the table's size. ``department``, ``meeting`` and ``series``: an instance or id."""
    calendar = business_calendar()
    qs = ActionItem.objects.all()
    if department is not None:
        qs = qs.filter(department=department)
    if status:
        qs = qs.filter(status=status)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    if series is not None:
        qs = qs.filter(meeting__series=series)
    if due_from is not None:
        qs = qs.filter(due_on__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_on__lte=due_to)
    if overdue is not None:
        qs = filter_overdue(qs, overdue, now=now, calendar=calendar)
    qs = _listed(_after(qs, after))
    return _page(with_action_colour(qs, now=now, calendar=calendar), limit)


class FollowUps(list):
    """The follow-up's items; ``more`` is True when further open items were left out."""

    more: bool = False


def followup_for_meeting(
    meeting,
    *,
    limit: int = FOLLOWUP_LIMIT,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
) -> FollowUps:
    """ "上次会议决议跟进": the ``limit`` earliest-due open items decided at an earlier meeting of
    ``meeting``'s series, each with ``latest_report`` (its newest progress report, None when
    the liaison has not reported) and ``overdue`` as of ``now`` (False without it). ``more``
    says whether there are further ones (read as LIMIT limit + 1, never counted). Two queries
    at most whatever the size of the series' history: the items, then their reports when there
    are any (and the business calendar when ``now`` is given and ``calendar`` is not).
    """
    rows = FollowUps()
    if meeting.series_id is None:
        return rows
    # Each walked item's meeting is checked by its key: an IN list of the series' earlier
    # meetings would read every one of them on each visit.
    earlier = Meeting.objects.filter(
        pk=OuterRef("meeting_id"), series_id=meeting.series_id, starts_at__lt=meeting.starts_at
    )
    walks = _open_walks(ActionItem.objects.filter(Exists(earlier)), limit=limit + 1)
    latest = ProgressReport.objects.filter(action_item=OuterRef("pk")).order_by("-reported_at", "-id")
    qs = _listed(ActionItem.objects.filter(pk__in=walks)).annotate(
        latest_report_id=Subquery(latest.values("pk")[:1])
    )
    if now is not None:
        qs = with_overdue(qs, now=now, calendar=calendar)
    items = list(qs.order_by("due_on", "id")[: limit + 1])
    rows.more = len(items) > limit
    items = items[:limit]
    report_ids = [item.latest_report_id for item in items if item.latest_report_id is not None]
    reports = ProgressReport.objects.in_bulk(report_ids) if report_ids else {}
    for item in items:
        item.latest_report = reports.get(item.latest_report_id)
        if now is None:
            item.overdue = False
    rows.extend(items)
    return rows


def ack_duties_for_meeting(meeting) -> list:
    """The DECISION_ACK duties of ``meeting`` (waived ones left out), by department: one query."""
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


# ---- one item for one person ----------------------------------------------------------------

# Department roles that follow their department's items.
DEPARTMENT_VIEW_ROLES = (Role.HEAD, Role.DEPUTY, Role.LIAISON)
ERR_MAY_NOT_ACT = _("You may not take this step on this action item.")


def may_see_action_item(item: ActionItem, person, *, roles: Roles) -> bool:
    """The owner, the coordinator, the leadership group and the head, deputy and liaison of the
    item's department see it."""
    return (
        person.pk == item.owner_id
        or roles.is_coordinator
        or roles.has(Role.LEADERSHIP)
        or any(roles.has(role, item.department_id) for role in DEPARTMENT_VIEW_ROLES)
    )


def get_action_item_for_user(
    person,
    pk: int,
    *,
    now: datetime | None = None,
    may_act: Callable[[ActionItem, Roles], bool] | None = None,
) -> ActionItem:
    """Action item ``pk`` with its department, owner, meeting and decision, for ``person``.

    Http404 for anyone who may not see it (may_see_action_item). With ``may_act`` (the role
    test of the step about to be taken), Forbidden for anyone who fails that test, the refusal
    of the step; Http404 only when there is no such item.
    """
    item = get_object_or_404(
        ActionItem.objects.select_related("department", "owner", "meeting", "decision"), pk=pk
    )
    roles = roles_of(person, on=as_shanghai(now or timezone.now()).date())
    if may_act is not None:
        if not may_act(item, roles):
            raise Forbidden(ERR_MAY_NOT_ACT)
    elif not may_see_action_item(item, person, roles=roles):
        raise Http404("action item")
    return item

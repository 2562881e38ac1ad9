"""Reading action items. "Overdue" is derived, never stored: an open or in-progress item is
overdue once the end of the working day of its due date has passed (a due date on a closed
day moves to the end of the next working day), per the organisation's business calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from django.db import connections, router
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from xietong.core.labels import choice_labels
from xietong.core.rawsql import aware
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


# What a list row shows: the item, its owner's name, department and meeting title.
_ROW_FIELDS = (
    "id",
    "title",
    "due_on",
    "status",
    "decision_id",
    "meeting_id",
    "department_id",
    "owner_id",
    "owner__full_name",
    "owner__username",
    "department__name",
    "meeting__title",
)


class _Named:
    __slots__ = ("name", "title", "full_name", "username")

    def __init__(self, name="", title="", full_name="", username=""):
        self.name, self.title, self.full_name, self.username = name, title, full_name, username


def status_labels() -> dict[str, str]:
    """Status → label in the active language (looked up once per process and language)."""
    return choice_labels(ActionItem.Status)


class ActionRow:
    """One action item as the lists show it, read as plain values (no model instances: on the
    hot list pages building them cost more than the query). Attribute names match ActionItem's."""

    __slots__ = (
        "pk",
        "id",
        "title",
        "due_on",
        "status",
        "overdue",
        "decision_id",
        "meeting_id",
        "department_id",
        "owner_id",
        "owner_name",
        "owner_username",
        "department_name",
        "meeting_title",
        "colour",
    )

    def __init__(self, values: tuple, cutoff: date | None):
        (
            self.id,
            self.title,
            self.due_on,
            self.status,
            self.decision_id,
            self.meeting_id,
            self.department_id,
            self.owner_id,
            self.owner_name,
            self.owner_username,
            self.department_name,
            self.meeting_title,
        ) = values
        self.pk = self.id
        self.overdue = cutoff is not None and self.status in OPEN_STATES and self.due_on <= cutoff
        self.colour = "red" if self.overdue else "green"

    # What templates written for ActionItem read (item.owner.full_name …), built on access.
    @property
    def owner(self) -> _Named:
        return _Named(full_name=self.owner_name, username=self.owner_username)

    @property
    def department(self) -> _Named:
        return _Named(name=self.department_name)

    @property
    def meeting(self) -> _Named:
        return _Named(title=self.meeting_title)

    def get_status_display(self) -> str:
        return status_labels()[self.status]

    def __repr__(self) -> str:
        return f"<ActionRow {self.pk} {self.title!r}>"


def as_rows(qs: QuerySet, *, cutoff: date) -> list[ActionRow]:
    """``qs`` read as ActionRows, ``overdue`` as of ``cutoff`` (overdue_cutoff): one query.
    "Overdue" is worked out here rather than as a SQL CASE: compiling that expression cost the
    list pages more than running their query."""
    return [ActionRow(v, cutoff) for v in qs.values_list(*_ROW_FIELDS)]


def _after(qs: QuerySet, after: tuple[date, int] | None) -> QuerySet:
    if after is None:
        return qs
    due, pk = after
    return qs.filter(Q(due_on__gt=due) | Q(due_on=due, id__gt=pk))


def first_open(qs: QuerySet, *, limit: int, after: tuple[date, int] | None = None) -> QuerySet:
    """The first ``limit`` open or in-progress items of ``qs`` by (due_on, id) after ``after``.

    Each open state is walked separately along an index ending in (status, due_on, id), each
    walk stopping after ``limit`` rows; filtering ``status IN (...)`` instead makes the database
    sort every open item of ``qs``, which grows with the history.
    """
    walks = Q()
    for state in OPEN_STATES:
        walk = _after(qs.filter(status=state), after).order_by("due_on", "id")
        walks |= Q(pk__in=walk.values("pk")[:limit])
    return ActionItem.objects.filter(walks).order_by("due_on", "id")[:limit]


def open_items_of_owner(person, *, limit: int, after: tuple[date, int] | None = None) -> QuerySet:
    """The person's first ``limit`` open and in-progress items, earliest due first."""
    return first_open(ActionItem.objects.filter(owner=person), limit=limit, after=after)


def open_items_of_department(department, *, limit: int, after: tuple[date, int] | None = None) -> QuerySet:
    """The department's first ``limit`` open and in-progress items, earliest due first."""
    return first_open(ActionItem.objects.filter(department=department), limit=limit, after=after)


_OPEN_ROWS_SQL = """
SELECT a."id", a."title", a."due_on", a."status", a."decision_id", a."meeting_id",
       a."department_id", a."owner_id", p."full_name", p."username", d."name", m."title"
FROM "actions_actionitem" a
INNER JOIN "meetings_meeting" m ON m."id" = a."meeting_id"
INNER JOIN "org_department" d ON d."id" = a."department_id"
INNER JOIN "org_person" p ON p."id" = a."owner_id"
WHERE a."id" IN (
  SELECT * FROM (SELECT "id" FROM "actions_actionitem" WHERE {column} = %s AND "status" = %s{after}
                 ORDER BY "due_on", "id" LIMIT %s) w1
  UNION ALL
  SELECT * FROM (SELECT "id" FROM "actions_actionitem" WHERE {column} = %s AND "status" = %s{after}
                 ORDER BY "due_on", "id" LIMIT %s) w2)
ORDER BY a."due_on", a."id" LIMIT %s
"""
_OPEN_ROWS_AFTER = ' AND ("due_on" > %s OR ("due_on" = %s AND "id" > %s))'
_OPEN_ROWS_COLUMNS = {"owner": '"owner_id"', "department": '"department_id"'}


def open_rows(*, owner=None, department=None, limit: int, cutoff: date | None, after=None) -> list[ActionRow]:
    """The first ``limit`` open and in-progress items of ``owner`` or of ``department`` by
    (due_on, id) after ``after``, read as ActionRows (``overdue`` as of ``cutoff``): the rows
    of ``as_rows(open_items_of_owner(...))`` / ``open_items_of_department``, in one plain query
    (each open state walked along its index with LIMIT, as first_open does). Written out
    because building the equivalent ORM query cost several times running it."""
    which, obj = ("owner", owner) if owner is not None else ("department", department)
    connection = connections[router.db_for_read(ActionItem)]
    sql = _OPEN_ROWS_SQL.format(column=_OPEN_ROWS_COLUMNS[which], after=_OPEN_ROWS_AFTER if after else "")
    params: list = []
    for state in OPEN_STATES:  # one walk per open state (two in _OPEN_ROWS_SQL)
        params += [obj.pk, str(state)]
        if after:
            due = connection.ops.adapt_datefield_value(after[0])
            params += [due, due, after[1]]
        params.append(limit)
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ActionRow(v, cutoff) for v in cursor.fetchall()]


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


_COORDINATOR_SQL = """
SELECT a."id", a."title", a."due_on", a."status", a."decision_id", a."meeting_id",
       a."department_id", a."owner_id", p."full_name", p."username", d."name", m."title"
FROM "actions_actionitem" a
INNER JOIN "meetings_meeting" m ON m."id" = a."meeting_id"
INNER JOIN "org_department" d ON d."id" = a."department_id"
INNER JOIN "org_person" p ON p."id" = a."owner_id"
WHERE {where}
ORDER BY a."due_on", a."id" LIMIT %s
"""


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
    """Every action item, filtered, one page keyed by (due_on, id) after ``after``.

    No OFFSET and no COUNT: one query per page whatever the table's size, its SQL written out
    from fixed clauses (building it through the ORM cost more than running it; the tests
    compare it with the ORM filters).
    """
    cutoff = overdue_cutoff(now=now, calendar=business_calendar())
    connection = connections[router.db_for_read(ActionItem)]
    day = connection.ops.adapt_datefield_value
    where, params = ["1 = 1"], []
    if department is not None:
        where.append('a."department_id" = %s')
        params.append(getattr(department, "pk", department))  # an instance or its id
    if status:
        where.append('a."status" = %s')
        params.append(str(status))
    if meeting is not None:
        where.append('a."meeting_id" = %s')
        params.append(getattr(meeting, "pk", meeting))  # an instance or its id
    if series is not None:
        where.append('m."series_id" = %s')
        params.append(getattr(series, "pk", series))  # an instance or its id
    if due_from is not None:
        where.append('a."due_on" >= %s')
        params.append(day(due_from))
    if due_to is not None:
        where.append('a."due_on" <= %s')
        params.append(day(due_to))
    if overdue is not None:
        late = 'a."status" IN (%s, %s) AND a."due_on" <= %s'
        where.append(late if overdue else f"NOT ({late})")
        params += [*(str(s) for s in OPEN_STATES), day(cutoff)]
    if after is not None:
        where.append('(a."due_on" > %s OR (a."due_on" = %s AND a."id" > %s))')
        params += [day(after[0]), day(after[0]), after[1]]
    params.append(limit + 1)
    with connection.cursor() as cursor:
        cursor.execute(_COORDINATOR_SQL.format(where=" AND ".join(where)), params)
        rows = [ActionRow(v, cutoff) for v in cursor.fetchall()]
    next_key = (rows[limit - 1].due_on, rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_key=next_key)


class ReportRow:
    """An item's latest progress report as the follow-up shows it: ProgressReport's columns
    under the same names (``pk`` as well) and its ``get_status_display()``, without building a
    model instance per row."""

    __slots__ = tuple(f.attname for f in ProgressReport._meta.concrete_fields)
    # The columns read by the pages (every column is set from the row).
    id: int
    status: str
    reported_at: datetime

    def __init__(self, values) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id

    def get_status_display(self) -> str:
        return choice_labels(ProgressReport.Status).get(self.status, self.status)


@dataclass(frozen=True)
class FollowUp:
    item: ActionRow
    report: ReportRow | None


# The follow-up under an agenda shows the earliest-due items only; the rest are one link away
# (the action list filtered to the series), so the meeting page does not grow with the history.
FOLLOWUP_LIMIT = 20


class FollowUps(list):
    """A list of FollowUp rows; ``more`` is True when further open items were left out."""

    more: bool = False

    def html(self):
        """The rows as the list items of the agenda's follow-up section (actions.html)."""
        from .html import followup_items

        return followup_items(self)


# The follow-up rows in one plain query (the same rows first_open and as_rows would give):
# each open state walked along the (status, due_on, id) index with LIMIT, each walked item's
# meeting checked by its key (an IN list of the series' earlier meetings would read every one
# of them on each visit: 0.76 → 0.13 ms at five years of weekly meetings), then the chosen rows
# with their owner, department, meeting and latest progress report (every column of it).
# Written out because building the equivalent ORM query (nested subqueries) cost about twenty
# times running it.
_FOLLOWUP_SQL = """
SELECT a."id", a."title", a."due_on", a."status", a."decision_id", a."meeting_id",
       a."department_id", a."owner_id", p."full_name", p."username", d."name", m."title",
       {report}
FROM "actions_actionitem" a
INNER JOIN "meetings_meeting" m ON m."id" = a."meeting_id"
INNER JOIN "org_department" d ON d."id" = a."department_id"
INNER JOIN "org_person" p ON p."id" = a."owner_id"
LEFT OUTER JOIN "actions_progressreport" r ON r."id" = (
  SELECT x."id" FROM "actions_progressreport" x WHERE x."action_item_id" = a."id"
  ORDER BY x."reported_at" DESC, x."id" DESC LIMIT 1)
WHERE a."id" IN (
  SELECT * FROM (
    SELECT w."id" FROM "actions_actionitem" w WHERE w."status" = %s AND EXISTS (
      SELECT 1 FROM "meetings_meeting" e WHERE e."id" = w."meeting_id" AND e."series_id" = %s
      AND e."starts_at" < %s)
    ORDER BY w."due_on", w."id" LIMIT %s) w1
  UNION ALL
  SELECT * FROM (
    SELECT w."id" FROM "actions_actionitem" w WHERE w."status" = %s AND EXISTS (
      SELECT 1 FROM "meetings_meeting" e WHERE e."id" = w."meeting_id" AND e."series_id" = %s
      AND e."starts_at" < %s)
    ORDER BY w."due_on", w."id" LIMIT %s) w2)
ORDER BY a."due_on", a."id" LIMIT %s
"""


@cache
def _followup_sql() -> str:
    # The report's columns from the model's own metadata (names only; values stay parameters).
    columns = ", ".join(f'r."{f.column}"' for f in ProgressReport._meta.concrete_fields)
    return _FOLLOWUP_SQL.format(report=columns)


def followup_for_meeting(
    meeting, *, limit: int = FOLLOWUP_LIMIT, now: datetime | None = None, calendar=None
) -> FollowUps:
    """ "上次会议决议跟进": the ``limit`` earliest-due open items decided at an earlier meeting of
    ``meeting``'s series, each with its latest progress report (None when the liaison has not
    reported). Items are ActionRows, ``overdue`` as of ``now`` (False without it). ``more`` says
    whether there are further ones (fetched as LIMIT limit + 1, never counted). One query
    whatever the size of the series' history, the reports included (and the business calendar
    when ``now`` is given and ``calendar`` is not). Reports are ReportRows (the reporter by id).
    """
    rows = FollowUps()
    if meeting.series_id is None:
        return rows
    connection = connections[router.db_for_read(ActionItem)]
    starts_at = connection.ops.adapt_datetimefield_value(meeting.starts_at)
    params: list = []
    for state in OPEN_STATES:  # one walk per open state (two in _FOLLOWUP_SQL)
        params += [str(state), meeting.series_id, starts_at, limit + 1]
    params.append(limit + 1)
    with connection.cursor() as cursor:
        cursor.execute(_followup_sql(), params)
        values = cursor.fetchall()
    cutoff = overdue_cutoff(now=now, calendar=calendar or business_calendar()) if now is not None else None
    rows.more = len(values) > limit
    for v in values[:limit]:  # due_on comes back as a date (a date column on both databases)
        report = None
        if v[12] is not None:
            report = ReportRow(v[12:])
            report.reported_at = aware(report.reported_at)
        rows.append(FollowUp(item=ActionRow(v[:12], cutoff), report=report))
    return rows


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


_WARNED_SQL = (
    'SELECT "subject_id" FROM "obligations_obligation" WHERE "subject_type_id" = %s'
    ' AND "kind" = %s AND "closed_at" IS NULL AND "warn_at" <= %s AND "subject_id" IN'
)


def colour_rows(rows: list, *, now: datetime) -> list:
    """Set each row's ``colour`` from the ledger: red when overdue, yellow once the item's
    due-date duty has reached its warning moment (the policy's warning lead), else green.
    One indexed query for the whole page."""
    from django.contrib.contenttypes.models import ContentType

    from xietong.obligations.models import Obligation, ObligationKind

    open_ids = [r.pk for r in rows if not r.overdue and r.status in OPEN_STATES]
    warned = set()
    if open_ids:
        # Plain SQL: building this through the ORM cost more than running it on every list page.
        connection = connections[router.db_for_read(Obligation)]
        marks = ", ".join(["%s"] * len(open_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                _WARNED_SQL + f" ({marks})",  # noqa: S608 - placeholders only
                [
                    ContentType.objects.get_for_model(ActionItem).pk,
                    str(ObligationKind.ACTION_DUE),
                    connection.ops.adapt_datetimefield_value(now),
                    *open_ids,
                ],
            )
            warned = {subject_id for (subject_id,) in cursor.fetchall()}
    for row in rows:
        row.colour = "red" if row.overdue else "yellow" if row.pk in warned else "green"
    return rows

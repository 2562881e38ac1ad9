"""Reading meetings, notices and replies; who may see what; who is invited."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import DEFERRED, Exists, OuterRef, Q, QuerySet

from xietong.core.params import parse_id, parse_int
from xietong.core.rawsql import set_prefetched
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Delegation, Department, Person, Role, RoleAssignment
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.models import Policy, PolicyVersion

from .models import Meeting, MeetingSeries, Notice, Rsvp

PAGE_SIZE = 20
HOME_MEETINGS = 5
HOME_RSVPS = 20

# When one person is invited for several reasons, the most specific one is kept:
# a role in this very meeting beats a topic's department, which beats a standing invitation.
INVITED_AS_PRECEDENCE: tuple[str, ...] = (
    Rsvp.InvitedAs.HOST,
    Rsvp.InvitedAs.RECORDER,
    Rsvp.InvitedAs.COORDINATOR,
    Rsvp.InvitedAs.LIAISON,
    Rsvp.InvitedAs.HEAD,
    Rsvp.InvitedAs.LEADERSHIP,
    Rsvp.InvitedAs.GUEST,
)


# ---- visibility ---------------------------------------------------------------------------


def sees_all_meetings(person, *, on: date | None = None) -> bool:
    """Anyone holding a role in the collaboration (or an admin) sees every meeting."""
    if person is None or not person.is_authenticated:
        return False
    if person.is_superuser:
        return True
    roles = roles_of(person, on=on)
    return bool(roles.org_roles) or any(roles.dept_roles.values())


def _involved(person) -> Q:
    invited = Rsvp.objects.filter(meeting=OuterRef("pk")).filter(Q(invitee=person) | Q(delegate=person))
    return Q(Exists(invited)) | Q(host=person) | Q(recorder=person)


def meetings_visible_to(person, *, on: date | None = None) -> QuerySet[Meeting]:
    """Meetings ``person`` may open: all for role holders, else those they are invited to."""
    qs = Meeting.objects.all()
    if sees_all_meetings(person, on=on):
        return qs
    return qs.filter(_involved(person)).exclude(status=Meeting.Status.PLANNED)


# meetings_visible_to(person).filter(pk=...).exists() for someone without a role, written out
# (asked on every meeting page such a person opens; the ORM's Exists subquery cost more to
# build than to run). Same answer (tests/test_detail_reads.py).
_MAY_OPEN_SQL = """
SELECT 1 FROM "meetings_meeting" m
WHERE m."id" = %s AND NOT (m."status" = %s)
  AND (m."host_id" = %s OR m."recorder_id" = %s OR EXISTS (
    SELECT 1 FROM "meetings_rsvp" r WHERE r."meeting_id" = m."id" AND (r."invitee_id" = %s OR r."delegate_id" = %s)))
LIMIT 1
"""


def may_open_meeting(person, meeting_id: int, *, on: date | None = None) -> bool:
    """Whether ``person`` may open meeting ``meeting_id`` (meetings_visible_to): role holders
    any, others those they take part in once the notice is out. One query at most (none for
    role holders, whose roles are read once per request)."""
    if sees_all_meetings(person, on=on):
        return True
    if person is None or not person.is_authenticated:
        return False
    db = router.db_for_read(Meeting)
    params = [meeting_id, Meeting.Status.PLANNED.value, *[person.pk] * 4]
    return bool(_fetch(db, _MAY_OPEN_SQL, params))


# ---- lists --------------------------------------------------------------------------------


def encode_cursor(meeting: Meeting) -> str:
    return f"{int(meeting.starts_at.timestamp() * 1_000_000)}_{meeting.pk}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """A (starts_at, id) key from the query string; None for a missing or mangled one."""
    if not raw:
        return None
    micros_text, _sep, pk_text = raw.partition("_")
    micros, pk = parse_int(micros_text), parse_id(pk_text)
    if micros is None or pk is None:
        return None
    try:
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), pk
    except (ValueError, OverflowError, OSError):
        return None


@dataclass
class MeetingPage:
    meetings: list[Meeting]
    next_cursor: str | None


def _list_base(person, *, now: datetime) -> QuerySet[Meeting]:
    return meetings_visible_to(person, on=as_shanghai(now).date()).select_related(
        "series", "host", "recorder", "agenda"
    )


def meetings_upcoming(
    person, *, now: datetime, after: str | None = None, limit: int = PAGE_SIZE
) -> MeetingPage:
    """Meetings not yet over, soonest first, paginated by (starts_at, id)."""
    qs = _list_base(person, now=now).filter(ends_at__gt=now).order_by("starts_at", "id")
    key = decode_cursor(after)
    if key is not None:
        qs = qs.filter(Q(starts_at__gt=key[0]) | Q(starts_at=key[0], id__gt=key[1]))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MeetingPage(rows, encode_cursor(rows[-1]) if more and rows else None)


def meetings_recent(
    person, *, now: datetime, before: str | None = None, limit: int = PAGE_SIZE
) -> MeetingPage:
    """Meetings already over, latest first, paginated by (starts_at, id)."""
    qs = _list_base(person, now=now).filter(ends_at__lte=now).order_by("-starts_at", "-id")
    key = decode_cursor(before)
    if key is not None:
        qs = qs.filter(Q(starts_at__lt=key[0]) | Q(starts_at=key[0], id__lt=key[1]))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MeetingPage(rows, encode_cursor(rows[-1]) if more and rows else None)


def active_series() -> list[MeetingSeries]:
    return list(MeetingSeries.objects.filter(is_active=True).select_related("policy").order_by("name", "id"))


# ---- one meeting --------------------------------------------------------------------------


# The meeting page's reads, written out (xietong/core/rawsql.py) and read through a cursor:
# the prefetches they replace (ordering on related columns, three joins each) cost the page more
# than everything else it reads, and so did Model.objects.raw's per-query set-up. Every column of
# each table is listed by the models' own metadata, so a row's values come back in field order
# and become instances with the ORM's own converters (_instance). Same rows and order
# (tests/test_detail_reads.py).
# A meeting's replies with invitee (i), delegate (g) and department (d), in page order.
_RSVPS_OF_MEETING = """
FROM "meetings_rsvp" r
INNER JOIN "org_person" i ON i."id" = r."invitee_id"
LEFT OUTER JOIN "org_person" g ON g."id" = r."delegate_id"
LEFT OUTER JOIN "org_department" d ON d."id" = r."department_id"
WHERE r."meeting_id" = %s
ORDER BY d."sort_order", i."full_name", r."id"
"""
_DETAIL_RSVPS_SQL = (
    'SELECT {columns}, i."full_name", i."username", g."full_name", g."username", d."name", d."sort_order"'
    + _RSVPS_OF_MEETING
)
_DETAIL_ITEMS_SQL = """
SELECT {columns}, t."title", t."department_id", d."name"
FROM "agenda_agendaitem" a
LEFT OUTER JOIN "topics_topic" t ON t."id" = a."topic_id"
LEFT OUTER JOIN "org_department" d ON d."id" = t."department_id"
WHERE a."agenda_id" = %s
ORDER BY a."position", a."id"
"""
_LATEST_NOTICE_SQL = """
SELECT {columns} FROM "meetings_notice" n WHERE n."meeting_id" = %s
ORDER BY n."sequence" DESC, n."id" DESC LIMIT 1
"""
_MEETING_DUTIES_SQL = """
SELECT {columns}, p."full_name", p."username", d."name"
FROM "obligations_obligation" o
LEFT OUTER JOIN "org_person" p ON p."id" = o."responsible_id"
LEFT OUTER JOIN "org_department" d ON d."id" = o."department_id"
WHERE o."subject_type_id" = %s AND o."subject_id" = %s
ORDER BY o."kind", o."due_at", o."id"
"""


def _columns(*tables) -> str:
    """The SELECT list of every column of each (model, alias), in field order."""
    return ", ".join(f'{alias}."{f.column}"' for model, alias in tables for f in model._meta.concrete_fields)


@cache
def _sql(name: str) -> str:
    """One of the page's statements with its column lists (built once: the models' columns are
    fixed; only column names from the models' own metadata are formatted in, values stay
    parameters)."""
    from xietong.agenda.models import AgendaItem

    tables = {
        "rsvps": (_DETAIL_RSVPS_SQL, ((Rsvp, "r"),)),
        "items": (_DETAIL_ITEMS_SQL, ((AgendaItem, "a"),)),
        "notice": (_LATEST_NOTICE_SQL, ((Notice, "n"),)),
        "duties": (_MEETING_DUTIES_SQL, ((Obligation, "o"),)),
    }
    sql, models = tables[name]
    return sql.format(columns=_columns(*models))


_loaders: dict[tuple, tuple] = {}


def _loader(model, db: str) -> tuple:
    """``model``'s attnames, column count and, for the columns that need one, the ORM's
    converters (aware datetimes, booleans, JSON), per database."""
    found = _loaders.get((model, db))
    if found is None:
        connection = connections[db]
        fields = model._meta.concrete_fields
        names = [f.attname for f in fields]
        convert = []
        for i, f in enumerate(fields):
            col = f.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                convert.append((i, col, converters))
        found = _loaders[(model, db)] = (names, len(names), convert)
    return found


def _instance(model, db: str, row, start: int = 0):
    """The ``model`` instance whose columns are ``row[start:]`` (None when its primary key
    there is NULL: an outer join that found nothing)."""
    names, width, convert = _loader(model, db)
    values = list(row[start : start + width])
    if values[0] is None:
        return None
    if convert:
        connection = connections[db]
        for i, col, converters in convert:
            value = values[i]
            for converter in converters:
                value = converter(value, col, connection)
            values[i] = value
    return model.from_db(db, names, values)


def _fetch(db: str, sql: str, params) -> list[tuple]:
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_partial_slots: dict[tuple, tuple] = {}


def _partial(model, db: str, **values):
    """rawsql.partial (only ``values`` loaded, the rest deferred), the fields' positions
    worked out once per model and set of names rather than on every row."""
    key = (model, tuple(values))
    slots = _partial_slots.get(key)
    if slots is None:
        attnames = [f.attname for f in model._meta.concrete_fields]
        slots = _partial_slots[key] = (len(attnames), [attnames.index(n) for n in values])
    width, positions = slots
    row = [DEFERRED] * width
    for at, value in zip(positions, values.values(), strict=True):
        row[at] = value
    return model.from_db(db, list(values), row)


def _attach(instance, name: str, related) -> None:
    """``instance.<name> = related`` for a foreign key whose id ``instance`` already holds:
    only the related object is cached (the id is not set again)."""
    type(instance)._meta.get_field(name).set_cached_value(instance, related)


@lru_cache(maxsize=32)
def _rules_of(data: str):
    """PolicyVersion.rules for a version whose data is the JSON text ``data``: a version is
    immutable and its rules (a frozen PolicyRules) depend on that text alone."""
    from xietong.policy.rules import load_rules

    return load_rules(json.loads(data))


def meeting_for_detail(meeting_id: int) -> Meeting:
    """One meeting with what its page shows preloaded (raises Meeting.DoesNotExist): its
    series, host, recorder, regulation version and agenda (joined); its replies
    (``meeting.rsvps.all()``: invitee and delegate names, department) and its agenda's items
    (``agenda.items.all()``: topic title and department name), without further queries. Other
    fields of those people, departments and topics load on access. Three queries."""
    from xietong.agenda.models import AgendaItem
    from xietong.topics.models import Topic

    meeting = meeting_with_relations(meeting_id)
    db = meeting._state.db or DEFAULT_DB_ALIAS  # set: the meeting was just read
    set_prefetched(meeting, "rsvps", meeting_rsvps(meeting))
    agenda = preloaded_agenda(meeting)
    if agenda is not None:
        width = _loader(AgendaItem, db)[1]
        items = []
        for row in _fetch(db, _sql("items"), [agenda.pk]):
            item = _instance(AgendaItem, db, row)
            t_title, t_department_id, d_name = row[width:]
            _attach(item, "agenda", agenda)
            if item.topic_id is not None:
                topic = _partial(Topic, db, id=item.topic_id, title=t_title, department_id=t_department_id)
                if topic.department_id is not None:
                    _attach(
                        topic, "department", _partial(Department, db, id=topic.department_id, name=d_name)
                    )
                _attach(item, "topic", topic)
            items.append(item)
        set_prefetched(agenda, "items", items)
    return meeting


_MEETING_ROW_SQL = """
SELECT {meeting}, s."name", h."full_name", h."username", c."full_name", c."username",
       v."policy_id", v."number", v."data", p."name", g."id", g."status", {notice},
       o."extra_closed_days", o."extra_working_days", o."work_start", o."work_end"
FROM "meetings_meeting" m
LEFT OUTER JOIN "meetings_meetingseries" s ON s."id" = m."series_id"
LEFT OUTER JOIN "org_person" h ON h."id" = m."host_id"
LEFT OUTER JOIN "org_person" c ON c."id" = m."recorder_id"
INNER JOIN "policy_policyversion" v ON v."id" = m."policy_version_id"
INNER JOIN "policy_policy" p ON p."id" = v."policy_id"
LEFT OUTER JOIN "agenda_agenda" g ON g."meeting_id" = m."id"
LEFT OUTER JOIN "meetings_notice" n ON n."id" = (
  SELECT x."id" FROM "meetings_notice" x WHERE x."meeting_id" = m."id"
  ORDER BY x."sequence" DESC, x."id" DESC LIMIT 1)
LEFT OUTER JOIN (
  SELECT "extra_closed_days", "extra_working_days", "work_start", "work_end"
  FROM "org_organization" ORDER BY "id" LIMIT 1) o ON 1 = 1
WHERE m."id" = %s
"""


@cache
def _meeting_row_sql() -> str:
    return _MEETING_ROW_SQL.format(meeting=_columns((Meeting, "m")), notice=_columns((Notice, "n")))


def meeting_with_relations(meeting_id: int) -> Meeting:
    """One meeting (raises Meeting.DoesNotExist) with what a meeting page shows of its series
    (name), host and recorder (names), regulation version (number, policy name, rules) and
    agenda (status; None cached when it has none), its newest notice (``latest_notice``) and
    the organisation's business calendar (``meeting.org_calendar``): one query. The relations'
    other fields load on access, as with ``.only()``; the version's rules are kept per JSON
    text."""
    from xietong.agenda.models import Agenda

    db = router.db_for_read(Meeting)
    found = _fetch(db, _meeting_row_sql(), [meeting_id])
    if not found:
        raise Meeting.DoesNotExist(f"Meeting {meeting_id} does not exist.")
    row = found[0]
    meeting = _instance(Meeting, db, row)
    at = _loader(Meeting, db)[1]
    (s_name, h_name, h_user, c_name, c_user, policy_id, number, data, p_name, g_id, g_status) = row[
        at : at + 11
    ]
    at += 11
    meeting.__dict__["_latest_notice"] = _instance(Notice, db, row, at)  # see latest_notice
    calendar = row[at + _loader(Notice, db)[1] :]
    if calendar[3] is not None:  # the organisation's calendar (see org_calendar)
        from xietong.policy.selectors import calendar_of_columns

        meeting.__dict__["org_calendar"] = calendar_of_columns(*calendar)
    series = _partial(MeetingSeries, db, id=meeting.series_id, name=s_name) if meeting.series_id else None
    host = (
        _partial(Person, db, id=meeting.host_id, full_name=h_name, username=h_user)
        if meeting.host_id
        else None
    )
    recorder = (
        _partial(Person, db, id=meeting.recorder_id, full_name=c_name, username=c_user)
        if meeting.recorder_id
        else None
    )
    version = _partial(PolicyVersion, db, id=meeting.policy_version_id, policy_id=policy_id, number=number)
    for name, related in (
        ("series", series),
        ("host", host),
        ("recorder", recorder),
        ("policy_version", version),
    ):
        _attach(meeting, name, related)
    if isinstance(data, str):  # JSON text: the rules are checked once per text, not per page
        # On a failure PolicyVersion.rules is left to raise on access, as before.
        with contextlib.suppress(Exception):
            version.__dict__["rules"] = _rules_of(data)
    else:  # already decoded by the driver: kept, as the ORM would
        version.data = data
    _attach(version, "policy", _partial(Policy, db, id=policy_id, name=p_name))
    agenda = (
        _partial(Agenda, db, id=g_id, meeting_id=meeting.pk, status=g_status) if g_id is not None else None
    )
    # Cached both ways, None included ("no agenda", as select_related leaves it): no query later.
    Meeting._meta.get_field("agenda").set_cached_value(meeting, agenda)
    if agenda is not None:
        Agenda._meta.get_field("meeting").set_cached_value(agenda, meeting)
    return meeting


def meeting_rsvps(meeting: Meeting) -> list[Rsvp]:
    """The meeting's replies, by id, each with its invitee's and delegate's names and its
    department (name, order) loaded: one query."""
    db = meeting._state.db or router.db_for_read(Rsvp)
    width = _loader(Rsvp, db)[1]
    rsvps = []
    for row in _fetch(db, _sql("rsvps"), [meeting.pk]):
        r = _instance(Rsvp, db, row)
        i_name, i_user, g_name, g_user, d_name, d_order = row[width:]
        _attach(r, "meeting", meeting)
        _attach(r, "invitee", _partial(Person, db, id=r.invitee_id, full_name=i_name, username=i_user))
        if r.delegate_id is not None:
            _attach(r, "delegate", _partial(Person, db, id=r.delegate_id, full_name=g_name, username=g_user))
        if r.department_id is not None:
            department = _partial(Department, db, id=r.department_id, name=d_name, sort_order=d_order)
            _attach(r, "department", department)
        rsvps.append(r)
    return rsvps


_REPLY_ROWS_SQL = (
    'SELECT r."id", r."invitee_id", i."full_name", i."username", d."name", r."invited_as", r."response",'
    ' r."delegate_id", g."full_name", g."username", r."reason", r."answered_at", r."answered_late"'
    + _RSVPS_OF_MEETING
)


class ReplyRow(NamedTuple):
    """What the meeting page shows of one reply (names as Person.__str__ gives them)."""

    pk: int
    invitee_id: int
    invitee: str
    department: str | None
    invited_as: str
    response: str
    delegate_id: int | None
    delegate: str | None
    reason: str
    answered_at: datetime | None
    answered_late: bool


def reply_rows(meeting: Meeting) -> list[ReplyRow]:
    """The meeting's replies in meeting_rsvps' order (department, invitee name, id) as plain
    rows: one query, no model instances (a meeting has dozens of invitees)."""
    from xietong.core.rawsql import aware

    db = meeting._state.db or router.db_for_read(Rsvp)
    rows = []
    for row in _fetch(db, _REPLY_ROWS_SQL, [meeting.pk]):
        pk, invitee_id, i_name, i_user, d_name, invited_as, response, delegate_id, g_name, g_user = row[:10]
        reason, answered, late = row[10:]
        delegate = (g_name or g_user) if delegate_id is not None else None
        answered = aware(answered) if answered is not None else None
        rows.append(
            ReplyRow(
                pk,
                invitee_id,
                i_name or i_user,
                d_name,
                invited_as,
                response,
                delegate_id,
                delegate,
                reason,
                answered,
                bool(late),
            )
        )
    return rows


_DUTY_ROWS_SQL = """
SELECT o."kind", o."responsible_id", p."full_name", p."username", o."due_at", o."calendar_flagged",
       o."clause", o."state"
FROM "obligations_obligation" o
LEFT OUTER JOIN "org_person" p ON p."id" = o."responsible_id"
WHERE o."subject_type_id" = %s AND o."subject_id" = %s
ORDER BY o."kind", o."due_at", o."id"
"""


class DutyRow(NamedTuple):
    """What the meeting page shows of one of its duties."""

    kind: str
    responsible_id: int | None
    responsible: str | None
    due_at: datetime
    calendar_flagged: bool
    clause: str
    state: str

    def is_late(self, now: datetime) -> bool:
        """Obligation.is_late."""
        if self.state == Obligation.State.BREACHED:
            return True
        return self.state == Obligation.State.PENDING and now > self.due_at


def duty_rows(meeting: Meeting) -> list[DutyRow]:
    """meeting_obligations as plain rows (same order): one query, no model instances."""
    from django.contrib.contenttypes.models import ContentType

    from xietong.core.rawsql import aware

    meeting_type = ContentType.objects.get_for_model(meeting)  # cached per process
    db = router.db_for_read(Obligation)
    moments: dict = {}  # a meeting's reply duties share their deadline: converted once
    rows = []
    for kind, person_id, name, user, due, flag, clause, state in _fetch(
        db, _DUTY_ROWS_SQL, [meeting_type.pk, meeting.pk]
    ):
        at = moments.get(due)
        if at is None:
            at = moments[due] = aware(due)
        who = (name or user) if person_id is not None else None
        rows.append(DutyRow(kind, person_id, who, at, bool(flag), clause, state))
    return rows


_AGENDA_ROWS_SQL = """
SELECT a."kind", a."title", d."name", a."budget_minutes"
FROM "agenda_agendaitem" a
LEFT OUTER JOIN "topics_topic" t ON t."id" = a."topic_id"
LEFT OUTER JOIN "org_department" d ON d."id" = t."department_id"
WHERE a."agenda_id" = %s
ORDER BY a."position", a."id"
"""


def agenda_rows(agenda) -> list[tuple[str, str, str | None, int]]:
    """What the meeting page shows of each agenda item, in agenda order: (kind, title, the
    department of its topic or None, minutes). One plain query (none without an agenda)."""
    if agenda is None:
        return []
    return _fetch(agenda._state.db or router.db_for_read(Meeting), _AGENDA_ROWS_SQL, [agenda.pk])


def preloaded_agenda(meeting: Meeting):
    """The agenda meeting_for_detail joined (None when the meeting has none): no query."""
    from xietong.agenda.models import Agenda

    try:
        return meeting.agenda
    except Agenda.DoesNotExist:
        return None


def agenda_of(meeting: Meeting):
    """The meeting's agenda with its items (and their topics' departments), or None."""
    from xietong.agenda.models import Agenda

    return Agenda.objects.filter(meeting=meeting).prefetch_related("items__topic__department").first()


def latest_notice(meeting: Meeting) -> Notice | None:
    """The meeting's newest notice (its publisher loads on access): one plain query, none for
    a meeting read by meeting_with_relations (it comes with the meeting row)."""
    if "_latest_notice" in meeting.__dict__:
        return meeting.__dict__["_latest_notice"]
    db = router.db_for_read(Notice)
    found = _fetch(db, _sql("notice"), [meeting.pk])
    return _instance(Notice, db, found[0]) if found else None


def meeting_obligations(meeting: Meeting) -> list[Obligation]:
    """The meeting's duties, by kind and due time, with who (name) and which department (name):
    one plain query. Other fields of those, and the policy version, load on access."""
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(meeting)  # cached per process
    db = router.db_for_read(Obligation)
    width = _loader(Obligation, db)[1]
    duties = []
    for row in _fetch(db, _sql("duties"), [kind.pk, meeting.pk]):
        o = _instance(Obligation, db, row)
        p_name, p_user, d_name = row[width:]
        if o.responsible_id is not None:
            _attach(
                o, "responsible", _partial(Person, db, id=o.responsible_id, full_name=p_name, username=p_user)
            )
        if o.department_id is not None:
            _attach(o, "department", _partial(Department, db, id=o.department_id, name=d_name))
        duties.append(o)
    return duties


def rsvp_obligations(meeting: Meeting) -> dict[int, Obligation]:
    """The latest RSVP duty of each invitee of ``meeting``, by person id."""
    out: dict[int, Obligation] = {}
    for ob in obligations_for(meeting).filter(kind=ObligationKind.RSVP).order_by("opened_at", "id"):
        if ob.responsible_id is not None:
            out[ob.responsible_id] = ob
    return out


def principals_of(person, *, on: date) -> list[int]:
    """Ids of the people who delegated to ``person`` for a period covering ``on``."""
    if person is None or not person.is_authenticated:
        return []
    return list(
        Delegation.objects.filter(delegate=person, starts_on__lte=on, ends_on__gte=on).values_list(
            "principal_id", flat=True
        )
    )


def rsvps_answerable_by(meeting: Meeting, person) -> list[Rsvp]:
    """The replies ``person`` may give on ``meeting``: their own and their principals'."""
    if person is None or not person.is_authenticated:
        return []
    ids = [person.pk, *principals_of(person, on=as_shanghai(meeting.starts_at).date())]
    return list(
        Rsvp.objects.filter(meeting=meeting, invitee_id__in=ids)
        .select_related("invitee", "delegate", "department")
        .order_by("id")
    )


def head_departments(person) -> set[int]:
    """Departments ``person`` heads in their own right (not through a delegation)."""
    return set(
        RoleAssignment.objects.filter(person=person, role=Role.HEAD, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )


def delegate_candidates(rsvp: Rsvp) -> QuerySet[Person]:
    """People who may sensibly attend for ``rsvp.invitee``.

    A department head sends a deputy, the liaison or someone of the department
    (seed 01 第五条(三)3); anyone else sends a colleague of their department.
    """
    invitee = rsvp.invitee
    departments = head_departments(invitee)
    if not departments:
        departments = {d for d in (rsvp.department_id, invitee.department_id) if d is not None}
    deputies = RoleAssignment.objects.filter(
        person=OuterRef("pk"), role__in=[Role.DEPUTY, Role.LIAISON], department_id__in=departments
    )
    return (
        Person.objects.filter(is_active=True)
        .filter(Q(department_id__in=departments) | Q(Exists(deputies)))
        .exclude(pk=invitee.pk)
        .select_related("department")
        .order_by("department__sort_order", "full_name", "id")
    )


def delegate_allowed(rsvp: Rsvp, delegate: Person) -> bool:
    """Whether ``delegate`` may attend for ``rsvp.invitee`` (heads are held to their department)."""
    if delegate is None or not delegate.is_active or delegate.pk == rsvp.invitee_id:
        return False
    departments = head_departments(rsvp.invitee)
    if not departments:
        return True
    if delegate.department_id in departments:
        return True
    return RoleAssignment.objects.filter(
        person=delegate, role__in=[Role.DEPUTY, Role.LIAISON], department_id__in=departments
    ).exists()


# ---- who is invited -----------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    person: Person
    invited_as: str
    department: Department | None


def meeting_invitee_plan(meeting: Meeting) -> list[Invitation]:
    """Who the notice of ``meeting`` goes to, one row per person with the most specific reason.

    Every department head (when the series invites them all; a meeting outside a series
    does), the liaisons of the departments bringing or involved in the scheduled topics,
    the host, the recorder, the coordinator, and the leadership group when the series
    invites it. A head who delegated for the meeting's date is still the invitee: the
    delegate answers for them.
    """
    from xietong.topics.models import Topic

    series = meeting.series
    invite_heads = series.invite_all_heads if series is not None else True
    invite_leadership = series.invite_leadership if series is not None else False
    found: dict[int, Invitation] = {}
    rank = {value: i for i, value in enumerate(INVITED_AS_PRECEDENCE)}

    def add(person: Person | None, invited_as: str, department: Department | None) -> None:
        if person is None or not person.is_active:
            return
        current = found.get(person.pk)
        if current is None or rank[invited_as] < rank[current.invited_as]:
            found[person.pk] = Invitation(person, invited_as, department or person.department)

    assignments = RoleAssignment.objects.filter(person__is_active=True).select_related(
        "person__department", "department"
    )
    role_filter = Q(role__in=[Role.COORDINATOR])
    if invite_heads:
        role_filter |= Q(role=Role.HEAD, department__is_active=True)
    if invite_leadership:
        role_filter |= Q(role=Role.LEADERSHIP)
    topic_departments: set[int] = set()
    topics = list(
        Topic.objects.filter(agenda_items__agenda__meeting=meeting).prefetch_related("departments_involved")
    )
    for topic in topics:
        topic_departments.add(topic.department_id)
        topic_departments.update(d.pk for d in topic.departments_involved.all())
    if topic_departments:
        role_filter |= Q(role=Role.LIAISON, department_id__in=topic_departments)
    by_role: dict[str, str] = {
        Role.HEAD: Rsvp.InvitedAs.HEAD,
        Role.LIAISON: Rsvp.InvitedAs.LIAISON,
        Role.COORDINATOR: Rsvp.InvitedAs.COORDINATOR,
        Role.LEADERSHIP: Rsvp.InvitedAs.LEADERSHIP,
    }
    for ra in assignments.filter(role_filter).order_by("department__sort_order", "person__full_name", "id"):
        add(ra.person, by_role[ra.role], ra.department)
    add(meeting.host, Rsvp.InvitedAs.HOST, None)
    add(meeting.recorder, Rsvp.InvitedAs.RECORDER, None)
    return sorted(
        found.values(),
        key=lambda inv: (
            rank[inv.invited_as],
            inv.department.sort_order if inv.department else 9999,
            inv.person.pk,
        ),
    )


# ---- home page ----------------------------------------------------------------------------


def rsvp_counts(rsvps) -> dict[str, int]:
    """Replies by answer, of ``rsvps`` (a meeting's replies, already read)."""
    counts = {choice: 0 for choice in Rsvp.Response.values}
    for rsvp in rsvps:
        counts[rsvp.response] += 1
    return counts


def obligation_is_open(ob: Obligation) -> bool:
    return ob.closed_at is None and ob.state in (Obligation.State.PENDING, Obligation.State.BREACHED)


@dataclass(frozen=True)
class OpenOccurrence:
    """The meeting of a series that new topics go to, scheduled or not yet."""

    meeting: Meeting | None
    starts_at: datetime
    rules: object  # policy.rules.PolicyRules


def open_occurrence(series: MeetingSeries, *, now: datetime, look_ahead: int = 8) -> OpenOccurrence | None:
    """The first meeting of ``series`` that still takes topics: not started, not cancelled,
    notice not yet published, and its agenda cut-off (policy rule ``agenda_cutoff``) ahead.

    After Thursday's agenda cut-off a topic drafted for "next meeting" means the one after.
    Reads only: an occurrence without a Meeting row comes back with ``meeting=None``.
    """
    from xietong.policy.selectors import business_calendar, current_version

    from .recurrence import series_occurrences

    existing = {
        m.starts_at: m
        for m in Meeting.objects.filter(series=series, starts_at__gt=now)
        .select_related("policy_version")
        .order_by("starts_at")[:look_ahead]
    }
    starts = sorted(set(existing) | set(series_occurrences(series, after=now, count=look_ahead)))
    calendar = business_calendar()
    current_rules = None
    first_free: OpenOccurrence | None = None
    for start in starts:
        meeting = existing.get(start)
        if meeting is not None and meeting.status != Meeting.Status.PLANNED:
            continue
        if meeting is not None:
            rules = meeting.policy_version.rules
        else:
            current_rules = current_rules or current_version(series.policy).rules
            rules = current_rules
        candidate = OpenOccurrence(meeting, start, rules)
        first_free = first_free or candidate
        due = rules.deadline("agenda_cutoff", start, calendar)
        if due is None or now <= due.value:
            return candidate
    return first_free

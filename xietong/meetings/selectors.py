"""Reading meetings, notices and replies; who may see what; who is invited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.params import parse_id, parse_int
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Delegation, Department, Person, Role, RoleAssignment
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.labels import HOLIDAY_NAMES
from xietong.policy.selectors import business_calendar, current_version

from .models import Meeting, MeetingSeries, Notice, Rsvp
from .recurrence import closed_day, next_working_start, series_occurrences

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


def may_open_meeting(person, meeting_id: int, *, on: date | None = None) -> bool:
    """Whether ``person`` may open meeting ``meeting_id`` (meetings_visible_to): role holders
    any (no query), others those they take part in once the notice is out (one query)."""
    if sees_all_meetings(person, on=on):
        return True
    return meetings_visible_to(person, on=on).filter(pk=meeting_id).exists()


ERR_COORDINATOR_ONLY = _("Only the coordinator may do this.")


def get_meeting_for_user(
    person,
    pk: int,
    *,
    now: datetime | None = None,
    related: Iterable[str] = (),
    coordinate: bool = False,
) -> Meeting:
    """Meeting ``pk`` as ``person`` may open it (meetings_visible_to), read with ``related``.

    Http404 for anyone who may not see it: they learn nothing about it. With ``coordinate``
    (scheduling, the agenda), a step only the coordinator takes: Forbidden for anyone else who
    is not the coordinator on ``now``'s date (delegations count), Http404 only when there is no
    such meeting.
    """
    day = as_shanghai(now or timezone.now()).date()
    meetings = Meeting.objects.all() if coordinate else meetings_visible_to(person, on=day)
    if related:
        meetings = meetings.select_related(*related)
    meeting = get_object_or_404(meetings, pk=pk)
    if coordinate:
        require(roles_of(person, on=day).is_coordinator, ERR_COORDINATOR_ONLY)
    return meeting


def may_answer(rsvp: Rsvp, person) -> bool:
    """The invitee, or whoever they delegated to for a period covering the meeting date."""
    if person is None or not person.is_authenticated:
        return False
    if person.pk == rsvp.invitee_id:
        return True
    day = as_shanghai(rsvp.meeting.starts_at).date()
    return Delegation.objects.filter(
        principal_id=rsvp.invitee_id, delegate=person, starts_on__lte=day, ends_on__gte=day
    ).exists()


def get_rsvp_for_user(person, pk: int) -> Rsvp:
    """Reply ``pk`` with its meeting and invitee, for answering by ``person``: Forbidden for
    anyone who may not give it (may_answer), Http404 only when there is no such reply."""
    rsvp = get_object_or_404(Rsvp.objects.select_related("meeting", "invitee"), pk=pk)
    require(may_answer(rsvp, person))
    return rsvp


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

# What a meeting page shows of the meeting's own relations, joined into the meeting's row.
MEETING_PAGE_RELATIONS = ("series", "host", "recorder", "policy_version__policy")


def meeting_replies(meeting: Meeting) -> QuerySet[Rsvp]:
    """The meeting's replies as its page lists them (department order, then invitee name), with
    invitee, delegate and department: one query."""
    return (
        Rsvp.objects.filter(meeting=meeting)
        .select_related("invitee", "delegate", "department", "on_behalf_of")
        .order_by("department__sort_order", "invitee__full_name", "id")
    )


def meeting_obligations(meeting: Meeting) -> QuerySet[Obligation]:
    """The meeting's duties by kind and due time, with who and which department: one query."""
    return obligations_for(meeting).order_by("kind", "due_at", "id")


def latest_notice(meeting: Meeting) -> Notice | None:
    """The meeting's newest notice (its publisher loads on access)."""
    return meeting.notices.order_by("-sequence", "-id").first()


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
        .select_related("invitee", "delegate", "department", "on_behalf_of")
        .order_by("id")
    )


def may_answer_one_of(replies: list[Rsvp], person, *, meeting: Meeting) -> bool:
    """Whether ``person`` may answer one of ``replies`` (the meeting's, already read): as
    rsvps_answerable_by, without a query for an invitee's own reply or when there are none."""
    if person is None or not person.is_authenticated or not replies:
        return False
    if any(r.invitee_id == person.pk for r in replies):
        return True
    ids = {person.pk, *principals_of(person, on=as_shanghai(meeting.starts_at).date())}
    return any(r.invitee_id in ids for r in replies)


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
    """Whether ``delegate`` may attend for ``rsvp.invitee``.

    A department head sends the department's deputy or liaison (seed 01 第五条(三)3); anyone
    else of the department only when the policy's ``delegate_scope`` is "department". Other
    invitees may send whom they choose.
    """
    if delegate is None or not delegate.is_active or delegate.pk == rsvp.invitee_id:
        return False
    departments = head_departments(rsvp.invitee)
    if not departments:
        return True
    scope = rsvp.meeting.policy_version.rules.choice("delegate_scope")
    if scope == "department" and delegate.department_id in departments:
        return True
    return RoleAssignment.objects.filter(
        person=delegate, role__in=[Role.DEPUTY, Role.LIAISON], department_id__in=departments
    ).exists()


# ---- who is invited -----------------------------------------------------------------------


def _topic_departments(meeting: Meeting) -> set[int]:
    """The departments bringing or involved in a topic on the meeting's agenda: one query,
    through the relations the topic and agenda stages declare on Department and Meeting."""
    on_agenda = Q(topics__agenda_items__agenda__meeting=meeting) | Q(
        involved_in_topics__agenda_items__agenda__meeting=meeting
    )
    return set(Department.objects.filter(on_agenda).values_list("pk", flat=True))


@dataclass(frozen=True)
class Invitation:
    """``person`` is asked to come (answer, sign in, attend); with ``on_behalf_of`` they stand
    in for that person through a standing delegation."""

    person: Person
    invited_as: str
    department: Department | None
    on_behalf_of: Person | None = None


# Invited for a role in this very meeting: named for it, so no standing delegation replaces them.
NAMED_FOR_THE_MEETING = frozenset({Rsvp.InvitedAs.HOST, Rsvp.InvitedAs.RECORDER})


def standing_delegates(principal_ids: Iterable[int], *, on: date) -> dict[int, Person]:
    """Principal id -> the active person standing in for them on ``on`` (org.Delegation; the
    latest-starting delegation wins when several cover the day): one query."""
    ids = list(principal_ids)
    if not ids:
        return {}
    rows = (
        Delegation.objects.filter(
            principal_id__in=ids, starts_on__lte=on, ends_on__gte=on, delegate__is_active=True
        )
        .select_related("delegate__department")
        .order_by("starts_on", "id")
    )
    return {d.principal_id: d.delegate for d in rows}


def _apply_delegations(
    found: dict[int, Invitation], *, on: date, rank: dict[str, int]
) -> dict[int, Invitation]:
    """The invitations with each principal replaced by their standing delegate for ``on``.

    The delegate is invited in the principal's place, marked as standing in for them (a
    delegation is not passed on: the delegate's own delegation does not apply to it). A
    delegate already invited in their own right keeps one invitation, the more specific
    reason, now also on the principal's behalf. A delegate stands in for one principal per
    meeting: a second principal delegating to the same person stays invited themselves.
    """
    delegates = standing_delegates(
        (pk for pk, inv in found.items() if inv.invited_as not in NAMED_FOR_THE_MEETING), on=on
    )
    out = {pk: inv for pk, inv in found.items() if pk not in delegates}
    for principal_id, delegate in delegates.items():
        inv = found[principal_id]
        current = out.get(delegate.pk)
        if current is not None and current.on_behalf_of is not None:
            out[principal_id] = inv
            continue
        invited_as = inv.invited_as
        if current is not None and rank[current.invited_as] < rank[invited_as]:
            invited_as = current.invited_as
        out[delegate.pk] = Invitation(delegate, invited_as, inv.department, on_behalf_of=inv.person)
    return out


def meeting_invitee_plan(meeting: Meeting) -> list[Invitation]:
    """Who the notice of ``meeting`` goes to, one row per person with the most specific reason.

    Every department head (when the series invites them all; a meeting outside a series
    does), the liaisons of the departments bringing or involved in the scheduled topics,
    the host, the recorder, the coordinator, and the leadership group when the series
    invites it. Standing delegations covering the meeting's date apply here, once, for every
    reader of the invitations (notice, reply, sign-in, 我的待办, attendance, minutes): the
    delegate is invited in the principal's place, on their behalf (_apply_delegations).
    """
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
    topic_departments = _topic_departments(meeting)
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
    invited = _apply_delegations(found, on=as_shanghai(meeting.starts_at).date(), rank=rank)
    return sorted(
        invited.values(),
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
    existing = {
        m.starts_at: m
        for m in Meeting.objects.filter(series=series, starts_at__gt=now)
        .select_related("policy_version")
        .order_by("starts_at")[:look_ahead]
    }
    # An occurrence a meeting was moved away from is not free again.
    moved = set(
        Meeting.objects.filter(series=series, occurrence__gt=now)
        .exclude(occurrence=F("starts_at"))
        .values_list("occurrence", flat=True)
    )
    slots = set(series_occurrences(series, after=now, count=look_ahead)) - moved
    starts = sorted(set(existing) | slots)
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


@dataclass(frozen=True)
class ClosedDay:
    """A meeting day the organisation does not work, and the start offered instead."""

    day: date
    holiday: (
        str  # the holiday's name in the reader's language; "" for a weekend or the organisation's own day
    )
    suggested: datetime  # the next working day at the same time


def meeting_closed_day(meeting: Meeting) -> ClosedDay | None:
    """Whether ``meeting`` falls on a public holiday (or another day off) by the business calendar."""
    calendar = business_calendar()
    info = closed_day(meeting.starts_at, calendar)
    if info is None:
        return None
    holiday = str(HOLIDAY_NAMES.get(info.holiday_name, info.holiday_name)) if info.holiday_name else ""
    return ClosedDay(info.day, holiday, next_working_start(meeting.starts_at, calendar))

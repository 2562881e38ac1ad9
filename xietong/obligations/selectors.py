"""Reading the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Department, Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import SHANGHAI, as_shanghai

from .colours import OPEN_STATES, RED, YELLOW, with_colour
from .models import Obligation


def obligations_for(subject: models.Model):
    return Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).select_related("responsible", "department", "policy_version__policy")


def open_obligations_of(person):
    """What ``person`` still has to do (pending or already late), soonest first."""
    return (
        Obligation.objects.filter(
            responsible=person,
            state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
            closed_at__isnull=True,
        )
        .select_related("department")
        .prefetch_related("subject")
        .order_by("due_at", "id")
    )


def open_duty_rows(person, *, limit: int, now: datetime) -> list[Obligation]:
    """The first ``limit`` of ``open_obligations_of(person)``, each with its ``colour`` as of
    ``now`` (red once late) and its subject loaded."""
    return list(with_colour(open_obligations_of(person), now)[:limit])


def late_steps(subject: models.Model) -> list[Obligation]:
    """Duties on ``subject`` that were (or are) late, with their clauses."""
    return [o for o in obligations_for(subject) if o.state == Obligation.State.BREACHED]


# ---- boards (issue #5, point 2) ---------------------------------------------------------------


def _week_end(now: datetime) -> datetime:
    local = as_shanghai(now)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=local.tzinfo)


def _on_board(now: datetime) -> QuerySet:
    """The duties the boards are about: every open duty that is late, or due before the end of
    this week (Sunday 24:00 Shanghai) and past its yellow moment."""
    return Obligation.objects.filter(state__in=OPEN_STATES, closed_at__isnull=True).filter(
        Q(state=Obligation.State.BREACHED)
        | Q(due_at__lt=now)
        | Q(warn_at__lte=now, due_at__lt=_week_end(now))
    )


def _in_department(qs: QuerySet, department_id: int | None) -> QuerySet:
    if department_id is None:
        return qs.filter(department__isnull=True)
    return qs.filter(department_id=department_id)


@dataclass(frozen=True)
class BoardGroup:
    """One department on a board: how many of its duties are red and yellow now, and the most
    urgent of them (soonest due first)."""

    department: Department | None
    red: int
    yellow: int
    duties: list[Obligation]

    @property
    def total(self) -> int:
        return self.red + self.yellow


_BOARD_RELATED = ("department", "responsible")


def _firsts_by_department(board: QuerySet, department_ids, *, limit: int) -> QuerySet:
    """The ids of each of ``department_ids``' first ``limit`` duties of ``board`` in due order.

    The n-th duty of every department is one query over the departments, each asking for its
    department's n-th entry of the index obligation_open_by_dept (a walk of at most ``limit``
    entries); the duties of no department likewise; the ``limit`` answers are joined with
    UNION ALL into one subquery. So the board reads about as many index entries as it shows,
    whatever the size of the ledger, and the query is built from ``limit`` subqueries, not one
    per department."""
    ordered = board.order_by("due_at", "id").values("pk")
    in_department = ordered.filter(department_id=OuterRef("pk"))
    departments = Department.objects.filter(pk__in=[d for d in department_ids if d is not None]).order_by()
    parts = [departments.values(nth=Subquery(in_department[n : n + 1])) for n in range(limit)]
    if None in department_ids:
        loose = ordered.filter(department__isnull=True)[:limit]
        parts.append(Obligation.objects.filter(pk__in=loose).order_by().values("pk"))
    return parts[0].union(*parts[1:], all=True)


def warning_board(now: datetime, *, limit: int, department_ids=None) -> list[BoardGroup]:
    """This week's yellow and red duties by department (see ``_on_board``): per department the
    number of red and yellow ones, counted in the database, and its first ``limit`` duties in
    due order. ``department_ids`` limits it to those departments (a head's board).

    Two queries plus one per kind of subject shown, both led by the index
    obligation_open_by_dept: the grouped count (one pass over the open duties' index entries,
    which carry the columns of the colour), and the rows: each counted department's first
    ``limit`` by a walk of its part of the index (``_firsts_by_department``)."""
    board = _on_board(now)
    if department_ids is not None:
        board = board.filter(department_id__in=list(department_ids))
    counts = {
        row["department_id"]: (row["red"], row["yellow"])
        for row in with_colour(board, now)
        .values("department_id")
        .annotate(red=Count("id", filter=Q(colour=RED)), yellow=Count("id", filter=Q(colour=YELLOW)))
        .order_by()
    }
    if not counts:
        return []
    rows = (
        with_colour(Obligation.objects.filter(pk__in=_firsts_by_department(board, counts, limit=limit)), now)
        .select_related(*_BOARD_RELATED)
        .prefetch_related("subject")
        .order_by("department__sort_order", "department_id", "due_at", "id")
    )
    groups: dict[int | None, BoardGroup] = {}
    for ob in rows:
        if ob.department_id not in groups:
            red, yellow = counts[ob.department_id]
            groups[ob.department_id] = BoardGroup(ob.department, red, yellow, [])
        groups[ob.department_id].duties.append(ob)
    return list(groups.values())


def board_duties_of(
    now: datetime, *, department_id: int | None, limit: int, after: tuple[datetime, int] | None = None
) -> list[Obligation]:
    """One department's duties of the board (``warning_board``), soonest due first: up to
    ``limit`` of them after the duty with (due, id) ``after``. Keyset: no count, no offset."""
    qs = with_colour(_in_department(_on_board(now), department_id), now)
    if after is not None:
        due_at, pk = after
        qs = qs.filter(Q(due_at__gt=due_at) | Q(due_at=due_at, pk__gt=pk))
    return list(
        qs.select_related(*_BOARD_RELATED).prefetch_related("subject").order_by("due_at", "id")[:limit]
    )


# ---- escalations (issue #5, point 3) ----------------------------------------------------------


def _owner_key(ob: Obligation) -> tuple:
    return (ob.kind, ob.responsible_id, None if ob.responsible_id else ob.department_id)


def escalations(*, limit: int = 50) -> list[tuple[Obligation, list[Obligation]]]:
    """The latest escalations to the leadership group, each with the history that led there:
    the owner's consecutive breached duties of the same kind ending with it (see
    tick.consecutive_misses), oldest first. Two queries plus the subjects."""
    escalated = list(
        Obligation.objects.filter(escalation_step__gt=0)
        .select_related("department", "responsible", "policy_version")
        .order_by("-due_at", "-id")[:limit]
    )
    if not escalated:
        return []
    owners = Q()
    for ob in escalated:
        if ob.responsible_id:
            owners |= Q(kind=ob.kind, responsible_id=ob.responsible_id)
        else:
            owners |= Q(kind=ob.kind, responsible__isnull=True, department_id=ob.department_id)
    history = list(
        Obligation.objects.filter(owners, state__in=[Obligation.State.BREACHED, Obligation.State.MET])
        .filter(due_at__lte=max(ob.due_at for ob in escalated))
        .select_related("department", "responsible")
        .prefetch_related("subject")
        .order_by("-due_at", "-id")
    )
    by_owner: dict[tuple, list[Obligation]] = {}
    for ob in history:
        by_owner.setdefault(_owner_key(ob), []).append(ob)
    result = []
    for ob in escalated:
        run = []
        for past in by_owner.get(_owner_key(ob), []):
            if (past.due_at, past.pk) > (ob.due_at, ob.pk):
                continue
            if past.state != Obligation.State.BREACHED:
                break
            run.append(past)
        result.append((ob, list(reversed(run))))
    return result


# ---- compliance figures (issue #5, point 6) ---------------------------------------------------

COMPLIANCE_COLUMNS = ("met", "late", "breached", "waived", "open", "total")


def _compliance_counts(now: datetime) -> dict:
    """Met on time; done after the deadline; still undone after it; waived by the coordinator or
    because the work went away; not yet due. "superseded" rows (a duty re-opened with a new
    deadline) are not counted: their replacement is."""
    B, P = Obligation.State.BREACHED, Obligation.State.PENDING
    return {
        "met": Count("id", filter=Q(state=Obligation.State.MET)),
        "late": Count("id", filter=Q(state=B, closed_at__isnull=False)),
        "breached": Count("id", filter=Q(state=B, closed_at__isnull=True) | Q(state=P, due_at__lt=now)),
        "waived": Count("id", filter=Q(state=Obligation.State.WAIVED)),
        "open": Count("id", filter=Q(state=P, due_at__gte=now)),
        "total": Count("id"),
    }


def compliance(*, start: date, end: date, now: datetime) -> dict:
    """Figures for duties due from ``start`` to ``end`` (both inclusive, Shanghai dates), per clause
    and per department, with totals. Exact: every duty due in the period is in exactly one column
    of its clause's row and of its department's row. Three queries."""
    lo = datetime.combine(start, datetime.min.time(), tzinfo=SHANGHAI)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    base = Obligation.objects.filter(due_at__gte=lo, due_at__lt=hi).exclude(
        state=Obligation.State.WAIVED, note="superseded"
    )
    counts = _compliance_counts(now)
    by_clause = list(base.values("clause").annotate(**counts).order_by("clause"))
    by_dept = list(base.values("department_id").annotate(**counts).order_by("department_id"))
    names = dict(
        Department.objects.filter(pk__in=[r["department_id"] for r in by_dept]).values_list("pk", "name")
    )
    for row in by_dept:
        row["department"] = names.get(row["department_id"], "")
    by_dept.sort(key=lambda r: (r["department_id"] is None, r["department"]))
    total = {c: sum(r[c] for r in by_clause) for c in COMPLIANCE_COLUMNS}
    return {"start": start, "end": end, "by_clause": by_clause, "by_department": by_dept, "total": total}


# ---- one duty for one person -------------------------------------------------------------------

ERR_WAIVE = _("Only the coordinator may waive a duty.")


def get_obligation_for_user(
    person, pk: int, *, now: datetime | None = None, waive: bool = False
) -> Obligation:
    """Duty ``pk`` with its department and responsible person, for ``person``.

    Http404 for anyone who may not know of it: it is known to the coordinator, the leadership
    group (escalations), the person responsible and the head or deputy of its department (their
    board). With ``waive``, Forbidden for anyone but the coordinator, the refusal of the step;
    Http404 only when there is no such duty.
    """
    ob = get_object_or_404(Obligation.objects.select_related("department", "responsible"), pk=pk)
    roles = roles_of(person, on=as_shanghai(now or timezone.now()).date())
    if waive:
        require(roles.is_coordinator, ERR_WAIVE)
        return ob
    heads = roles.departments(Role.HEAD) | roles.departments(Role.DEPUTY)
    knows = (
        roles.is_coordinator
        or roles.has(Role.LEADERSHIP)
        or ob.responsible_id == person.pk
        or (ob.department_id is not None and ob.department_id in heads)
    )
    if not knows:
        raise Http404("duty")
    return ob

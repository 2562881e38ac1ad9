"""Where the coordinator sees approvals: the running steps by template, step and age, and the
figures of decided steps per template step and per approver — median time, share decided within
the step's limit, returns and rejections.

Counts and medians are computed in the database: counts with conditional aggregates, medians
with a window (the middle row, or the two middle rows, of each group ordered by time taken).
The step's limit is its duty in the ledger (APPROVAL_STEP, due ``approval_step_days`` working
days after the step opened): a task is within the limit when it was decided by that duty's due
time; a task whose regulation sets no step time has no limit and is left out of the share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Min, OuterRef, Q, Subquery
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber

from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Person, Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import SHANGHAI

from .models import Approval, Task

TS = Task.State
DECIDED = (TS.APPROVED, TS.RETURNED, TS.REJECTED)
LIST_ROWS = 50
TEMPLATE_ID = "approval__version__template_id"
TEMPLATE_NAME = "approval__version__template__name"


def may_see_figures(person) -> bool:
    """The coordinator and the leadership group (and administrators)."""
    if person is None or not person.is_authenticated:
        return False
    roles = roles_of(person)
    return person.is_superuser or roles.is_coordinator or roles.has(Role.LEADERSHIP)


# ---- running steps ----------------------------------------------------------------------------


def _running() -> Any:
    return Task.objects.filter(state=TS.PENDING, approval__status=Approval.Status.PENDING)


def running_by_step() -> list[dict]:
    """One row per template and step that has approvals waiting: how many approvals and tasks,
    and since when the oldest waits. One aggregate query."""
    return list(
        _running()
        .values(TEMPLATE_ID, TEMPLATE_NAME, "step_name")
        .annotate(
            approvals=Count("approval_id", distinct=True),
            tasks=Count("id"),
            oldest=Min("opened_at"),
            position=Min("step"),
        )
        .order_by(TEMPLATE_NAME, TEMPLATE_ID, "position", "step_name")
    )


def running_steps(
    *, template_id: int | None = None, after: tuple[datetime, int] | None = None, limit: int = LIST_ROWS
) -> list[Task]:
    """The waiting tasks, oldest first (the longest wait at the top); keyset pagination on
    (opened_at, id) after ``after``; optionally of one template."""
    qs = _running()
    if template_id is not None:
        qs = qs.filter(approval__version__template_id=template_id)
    if after is not None:
        opened, pk = after
        qs = qs.filter(Q(opened_at__gt=opened) | Q(opened_at=opened, pk__gt=pk))
    return list(
        qs.select_related("approver", "approval__version__template", "approval__applicant")
        .only(
            "id",
            "step_name",
            "opened_at",
            "approver__full_name",
            "approver__username",
            "approval__id",
            "approval__title",
            "approval__applicant__full_name",
            "approval__applicant__username",
            "approval__version__template__name",
        )
        .order_by("opened_at", "id")[:limit]
    )


# ---- figures of decided steps -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        lo = datetime.combine(self.start, datetime.min.time(), tzinfo=SHANGHAI)
        hi = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
        return lo, hi


def _decided(period: Period) -> Any:
    lo, hi = period.bounds
    return Task.objects.filter(state__in=DECIDED, decided_at__gte=lo, decided_at__lt=hi)


def _duty() -> Any:
    """The task's step duty in the ledger (the latest, should there be more)."""
    return Obligation.objects.filter(
        kind=ObligationKind.APPROVAL_STEP,
        subject_type=ContentType.objects.get_for_model(Task),
        subject_id=OuterRef("pk"),
    ).order_by("-id")


def _counts(qs: Any, keys: list[str]) -> list[dict]:
    duty = _duty()
    due = Subquery(duty.values("due_at")[:1])
    return list(
        qs.values(*keys)
        .annotate(
            decisions=Count("id"),
            approved=Count("id", filter=Q(state=TS.APPROVED)),
            returned=Count("id", filter=Q(state=TS.RETURNED)),
            rejected=Count("id", filter=Q(state=TS.REJECTED)),
            with_limit=Count("id", filter=Q(Exists(duty))),
            within=Count("id", filter=Q(decided_at__lte=due)),
        )
        .order_by(*keys)
    )


def _medians(qs: Any, keys: list[str]) -> dict[tuple, timedelta]:
    """The median time taken (opened → decided) of each group of ``keys``: the database keeps
    only each group's middle row (odd size) or two middle rows (even size)."""
    taken = ExpressionWrapper(F("decided_at") - F("opened_at"), output_field=DurationField())
    parts = [F(k) for k in keys]
    rows = (
        qs.annotate(
            taken=taken,
            rank=Window(RowNumber(), partition_by=parts, order_by=[taken.asc(), F("id").asc()]),
            size=Window(Count("id"), partition_by=parts),
        )
        .filter(rank__gte=(F("size") + 1) / 2, rank__lte=(F("size") + 2) / 2)
        .values_list(*keys, "taken")
    )
    middle: dict[tuple, list[timedelta]] = {}
    for *key, value in rows:
        middle.setdefault(tuple(key), []).append(value)
    return {key: sum(values, timedelta()) / len(values) for key, values in middle.items()}


def _finish(rows: list[dict], medians: dict[tuple, timedelta], keys: list[str]) -> list[dict]:
    for row in rows:
        row["median"] = medians.get(tuple(row[k] for k in keys))
        row["within_percent"] = (
            round(100 * row["within"] / row["with_limit"], 1) if row["with_limit"] else None
        )
    return rows


def figures(period: Period) -> dict:
    """The decided steps of ``period`` (decided from ``start`` to ``end``, Shanghai dates, both
    inclusive): ``by_step`` per template step, ``by_approver`` per approver and template. Five
    queries."""
    qs = _decided(period)
    step_keys = [TEMPLATE_ID, TEMPLATE_NAME, "step_name"]
    by_step = _finish(_counts(qs, step_keys), _medians(qs, step_keys), step_keys)
    by_step.sort(key=lambda r: (r[TEMPLATE_NAME], r[TEMPLATE_ID], r["step_name"]))
    person_keys = ["approver_id", TEMPLATE_ID, TEMPLATE_NAME]
    by_approver = _finish(_counts(qs, person_keys), _medians(qs, person_keys), person_keys)
    names = {
        p.pk: str(p)
        for p in Person.objects.filter(pk__in={r["approver_id"] for r in by_approver}).only(
            "id", "full_name", "username"
        )
    }
    for row in by_approver:
        row["approver"] = names.get(row["approver_id"], "")
    by_approver.sort(key=lambda r: (r["approver"], r["approver_id"], r[TEMPLATE_NAME]))
    for rows in (by_step, by_approver):
        for row in rows:
            row["template"] = row[TEMPLATE_NAME]
    return {"period": period, "by_step": by_step, "by_approver": by_approver}


def hours(value: timedelta | None) -> float | None:
    """A time taken in hours, to one decimal (how the pages and the export show it)."""
    return None if value is None else round(value.total_seconds() / 3600, 1)

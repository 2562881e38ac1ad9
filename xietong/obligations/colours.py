"""Colours and lateness: one rule for the ledger's duties and one for action items.

A duty is late once breached, or pending past its deadline (``Obligation.is_late``); doing it at
the deadline itself counts as on time. It is red when late, yellow from its ``warn_at`` (the
policy's warning lead, computed when the duty was opened), green before.

An action item is overdue once it is open or in progress and the end of the working day of its
due date has passed (a due date on a closed day moves to the end of the next working day), per
the organisation's business calendar. It is red when overdue, yellow once its due-date duty in
the ledger (ACTION_DUE) has reached its ``warn_at``, green otherwise. "Overdue" is never stored.

Each rule is written once for one row and once as the same condition in SQL for lists; the
action-item rules read the item's ``status``, ``due_on`` and its model's ``OPEN_STATES``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When

from xietong.policy.calendar import SHANGHAI, BusinessCalendar, as_shanghai
from xietong.policy.models import PolicyVersion
from xietong.policy.selectors import business_calendar

from .models import Obligation, ObligationKind

GREEN, YELLOW, RED = "green", "yellow", "red"
OPEN_STATES = (Obligation.State.PENDING, Obligation.State.BREACHED)


# ---- the ledger's duties ----------------------------------------------------------------------


def colour(obligation: Obligation, now: datetime) -> str:
    """Red once late, yellow from its ``warn_at``, green before (see the module's docstring)."""
    if obligation.is_late(now):
        return RED
    if (
        obligation.state == Obligation.State.PENDING
        and obligation.warn_at is not None
        and now >= obligation.warn_at
    ):
        return YELLOW
    return GREEN


def late_q(now: datetime) -> Q:
    """``Obligation.is_late(now)`` as a filter."""
    return Q(state=Obligation.State.BREACHED) | Q(state=Obligation.State.PENDING, due_at__lt=now)


def with_colour(qs: QuerySet, now: datetime) -> QuerySet:
    """``qs`` annotated with ``colour`` ("green" / "yellow" / "red") as of ``now``, in SQL."""
    return qs.annotate(
        colour=Case(
            When(late_q(now), then=Value(RED)),
            When(state=Obligation.State.PENDING, warn_at__lte=now, then=Value(YELLOW)),
            default=Value(GREEN),
            output_field=CharField(),
        )
    )


LEGEND_RULES = (
    "warning_lead_days",
    "warning_lead_short",
    "reminder_first",
    "reminder_second",
    "escalation_misses",
)


def colour_legend(obligations) -> list[tuple[str, str, str]]:
    """(label, description, clause) of the warning, reminder and escalation rules of the policy
    versions behind ``obligations``, each rule once. One query: the versions themselves."""
    seen: dict[tuple[str, str, str], None] = {}
    version_ids = list(dict.fromkeys(ob.policy_version_id for ob in obligations))
    versions = PolicyVersion.objects.in_bulk(version_ids) if version_ids else {}
    for version_id in version_ids:
        rules = versions[version_id].rules
        for key in LEGEND_RULES:
            rule = rules.get(key)
            if rule is not None:
                seen[(rule.label, rule.describe(), rule.clause)] = None
    return list(seen)


# ---- action items -----------------------------------------------------------------------------

# A run of closed days longer than this does not occur in the official calendar.
_MAX_CLOSED_RUN = 40


def action_deadline(due_on: date, calendar: BusinessCalendar) -> datetime:
    """The moment an item due on ``due_on`` becomes overdue (aware, Shanghai)."""
    end = datetime.combine(due_on, calendar.work_end, tzinfo=SHANGHAI)
    return calendar.add_working_days(end, 0).value


def is_overdue(item, *, now: datetime, calendar: BusinessCalendar) -> bool:
    """Whether the action item ``item`` is overdue at ``now``."""
    return item.status in item.OPEN_STATES and now > action_deadline(item.due_on, calendar)


def overdue_cutoff(*, now: datetime, calendar: BusinessCalendar) -> date:
    """The latest due date that is overdue at ``now``: overdue ⇔ open and ``due_on <= cutoff``."""
    day = as_shanghai(now).date()
    for _step in range(_MAX_CLOSED_RUN):
        if now > action_deadline(day, calendar):
            return day
        day -= timedelta(days=1)
    return day


def _overdue_q(qs: QuerySet, cutoff: date) -> Q:
    return Q(status__in=qs.model.OPEN_STATES, due_on__lte=cutoff)


def with_overdue(
    qs: QuerySet,
    *,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    cutoff: date | None = None,
) -> QuerySet:
    """Action items ``qs`` annotated with ``overdue`` (bool) as of ``now`` (is_overdue in SQL),
    or as of ``cutoff`` when it was already worked out (``overdue_cutoff(now=...)``)."""
    if cutoff is None:
        assert now is not None, "with_overdue needs now or cutoff"
        cutoff = overdue_cutoff(now=now, calendar=calendar or business_calendar())
    return qs.annotate(
        overdue=Case(
            When(_overdue_q(qs, cutoff), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def filter_overdue(qs: QuerySet, overdue: bool, *, now: datetime, calendar: BusinessCalendar | None = None):
    """The items of ``qs`` that are (or, with ``overdue=False``, are not) overdue at ``now``."""
    late = _overdue_q(qs, overdue_cutoff(now=now, calendar=calendar or business_calendar()))
    return qs.filter(late) if overdue else qs.exclude(late)


def with_action_colour(qs: QuerySet, *, now: datetime, calendar: BusinessCalendar | None = None) -> QuerySet:
    """Action items ``qs`` annotated with ``overdue`` and ``colour`` as of ``now``: red when
    overdue, yellow once the item's open due-date duty has reached its warning moment, green
    otherwise (done and cancelled items are green). One query with the rows."""
    cutoff = overdue_cutoff(now=now, calendar=calendar or business_calendar())
    warned = Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(qs.model),
        subject_id=OuterRef("pk"),
        kind=ObligationKind.ACTION_DUE,
        closed_at__isnull=True,
        warn_at__lte=now,
    )
    late = _overdue_q(qs, cutoff)
    return qs.annotate(
        overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField()),
        colour=Case(
            When(late, then=Value(RED)),
            When(Q(status__in=qs.model.OPEN_STATES) & Exists(warned), then=Value(YELLOW)),
            default=Value(GREEN),
            output_field=CharField(),
        ),
    )

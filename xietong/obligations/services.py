"""Opening and closing obligations, always inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models

from xietong.policy.calendar import CalendarResult

from .models import Obligation


def obligation_open(
    *,
    kind: str,
    rule: str,
    subject: models.Model,
    due: CalendarResult,
    policy_version,
    now: datetime,
    responsible=None,
    department=None,
) -> Obligation:
    """Open a duty ``kind`` on ``subject`` due at ``due`` under ``rule`` of ``policy_version``.

    The clause is read from the policy version, so the row keeps the wording it was
    computed under even after the policy changes. An existing pending duty of the same
    kind, subject and person is replaced (waived), never duplicated.
    """
    rule_def = policy_version.rules.get(rule)
    clause = rule_def.clause if rule_def else ""
    subject_type = ContentType.objects.get_for_model(subject)
    Obligation.objects.filter(
        subject_type=subject_type,
        subject_id=subject.pk,
        kind=kind,
        responsible=responsible,
        state=Obligation.State.PENDING,
    ).update(state=Obligation.State.WAIVED, closed_at=now, note="superseded")
    return Obligation.objects.create(
        kind=kind,
        rule=rule,
        clause=clause,
        policy_version=policy_version,
        responsible=responsible,
        department=department,
        subject_type=subject_type,
        subject_id=subject.pk,
        due_at=due.value,
        calendar_flagged=due.flagged,
        opened_at=now,
    )


def obligation_close(
    *, kind: str, subject: models.Model, now: datetime, actor=None, responsible=None
) -> Obligation | None:
    """Close the pending duty ``kind`` on ``subject``: met if on time, breached if late.

    Returns the closed obligation (so the caller can say "late under 第X条"), or None
    when there was no pending duty.
    """
    qs = Obligation.objects.select_for_update(of=("self",)).filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        kind=kind,
        state__in=[Obligation.State.PENDING, Obligation.State.BREACHED],
        closed_at__isnull=True,
    )
    if responsible is not None:
        qs = qs.filter(responsible=responsible)
    obligation = qs.order_by("-opened_at", "-id").first()
    if obligation is None:
        return None
    obligation.state = Obligation.State.MET if now <= obligation.due_at else Obligation.State.BREACHED
    obligation.closed_at = now
    obligation.closed_by = actor if actor is not None and actor.pk else None
    obligation.save(update_fields=["state", "closed_at", "closed_by"])
    return obligation


def obligation_waive(*, kind: str | None, subject: models.Model, now: datetime, note: str = "") -> int:
    """Waive pending duties on ``subject`` (all kinds when ``kind`` is None)."""
    qs = Obligation.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        state=Obligation.State.PENDING,
    )
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.update(state=Obligation.State.WAIVED, closed_at=now, note=note[:300])


def obligations_mark_breached(*, now: datetime) -> int:
    """Scheduler tick: pending duties past their deadline become breached (still open)."""
    return Obligation.objects.filter(state=Obligation.State.PENDING, due_at__lt=now).update(
        state=Obligation.State.BREACHED
    )

"""Reading the ledger."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

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


def late_steps(subject: models.Model) -> list[Obligation]:
    """Duties on ``subject`` that were (or are) late, with their clauses."""
    return [o for o in obligations_for(subject) if o.state == Obligation.State.BREACHED]

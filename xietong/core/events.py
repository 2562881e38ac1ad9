"""Recording domain events (call inside the service's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import Signal

from .models import Event

# Sent inside the recording transaction with ``event=``: the outbox's doorbell. Later layers
# queue their reaction with ``transaction.on_commit`` (notify starts a delivery run).
event_recorded = Signal()


def record_event(*, name: str, actor, subject: models.Model, now: datetime, **data: Any) -> Event:
    event = Event.objects.create(
        name=name,
        actor=actor if actor is not None and actor.pk else None,
        at=now,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        data=data,
    )
    event_recorded.send(sender=Event, event=event)
    return event


def events_for(subject: models.Model):
    """The history of one object, oldest first, with actors preloaded."""
    return Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).select_related("actor")

"""Recording domain events (call inside the service's transaction), and the reactions of later
stages to them.

A later stage whose work follows from an earlier stage's change (a meeting cancelled → its
topics roll over; a decision effective → its action item) registers a reaction to the earlier
stage's event in its ``AppConfig.ready``::

    reactions.connect("meeting.cancelled", topics_roll_over)

``record_event`` runs the reactions of its event synchronously, in registration order, inside
the caller's transaction and after writing the event row: a reaction that raises rolls the
whole service back, and the error reaches the caller as if the service had raised it. So the
earlier stage never imports the later one, and the change stays one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import Signal

from .models import Event

# Sent inside the recording transaction with ``event=``, after the reactions: the outbox's
# doorbell. Later layers queue their reaction with ``transaction.on_commit`` (notify starts a
# delivery run).
event_recorded = Signal()


class Reaction(Protocol):
    """``handler(event=, subject=, actor=, now=)``: the event row, the object it is about, the
    actor and the time the service was given. It may return facts to add to the event's data
    (what it did, for the audit trail and the notifications), or None."""

    def __call__(self, *, event: Event, subject: Any, actor: Any, now: datetime) -> dict[str, Any] | None: ...


class Reactions:
    """Event name → the reactions registered for it, in registration order."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Reaction]] = defaultdict(list)

    def connect(self, name: str, handler: Reaction) -> Reaction:
        """Register ``handler`` for events named ``name`` (once: registering it again is a no-op)."""
        if handler not in self._handlers[name]:
            self._handlers[name].append(handler)
        return handler

    def disconnect(self, name: str, handler: Reaction) -> None:
        if handler in self._handlers.get(name, ()):
            self._handlers[name].remove(handler)

    def react_to(self, name: str) -> Callable[[Reaction], Reaction]:
        """Decorator form of :meth:`connect`."""

        def register(handler: Reaction) -> Reaction:
            return self.connect(name, handler)

        return register

    def handlers(self, name: str) -> list[Reaction]:
        return list(self._handlers.get(name, ()))


reactions = Reactions()
react_to = reactions.react_to


def record_event(*, name: str, actor, subject: models.Model, now: datetime, **data: Any) -> Event:
    """Write the event row, run the reactions registered for ``name`` (in order, in this
    transaction), then ring the outbox's doorbell."""
    event = Event.objects.create(
        name=name,
        actor=actor if actor is not None and actor.pk else None,
        at=now,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        data=data,
    )
    added: dict[str, Any] = {}
    for handler in reactions.handlers(name):
        facts = handler(event=event, subject=subject, actor=actor, now=now)
        if facts:
            added.update(facts)
    if added:
        event.data = {**event.data, **added}
        event.save(update_fields=["data"])
    event_recorded.send(sender=Event, event=event)
    return event


def events_for(subject: models.Model):
    """The history of one object, oldest first, with actors preloaded."""
    return Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).select_related("actor")

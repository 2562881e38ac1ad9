"""The host's progress through the meeting: starting it, taking up, finishing or deferring
agenda items, and ending it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.agenda.models import AgendaItem
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.text import clean_field
from xietong.core.transitions import Step, refuse_unless, sole_state, step
from xietong.meetings.models import Meeting
from xietong.policy.calendar import as_shanghai
from xietong.records.models import ItemRecord
from xietong.records.services import item_record

from ..models import ItemRun, Room, Speech, Vote
from .rooms import (
    ERR_STARTED,
    HOST,
    ROOM_TRANSITIONS,
    _changed,
    _lock_room,
    _logged,
    _require_host,
    _require_not_cancelled,
    _require_room,
)
from .speakers import SPEECH_TRANSITIONS, _end_speaking
from .votes import VOTE_TRANSITIONS

MAX_REASON = 300

IR = ItemRun.Status

# step -> (the states of an item's progress it may start from, who may take it). The host takes
# an item up (item_start, or item_next for the next one not yet discussed); item_next finishes
# the item under discussion, or with a reason defers it; taking up another item sets the
# current one aside (back to not yet discussed).
ITEM_TRANSITIONS: dict[str, Step] = {
    "item_start": step({IR.PENDING}, HOST),
    "item_finish": step({IR.CURRENT}, HOST),
    "item_defer": step({IR.CURRENT}, HOST),
    "item_set_aside": step({IR.CURRENT}, HOST),
}

# Why an item cannot be taken up in the state it is in.
ITEM_START_REFUSALS: dict[str, tuple[str | Promise, str]] = {
    IR.CURRENT: (_("This item is already under discussion."), "item_current"),
    IR.DONE: (_("This item has already been dealt with."), "item_done"),
    IR.DEFERRED: (_("This item has already been dealt with."), "item_done"),
}


# ---- the meeting and its items --------------------------------------------------------------


def _agenda_items(meeting: Meeting) -> list[AgendaItem]:
    if not hasattr(meeting, "agenda"):
        return []
    return list(meeting.agenda.items.order_by("position", "id"))


@_logged
def room_open(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Room:
    """The host starts the meeting: the meeting clock runs from ``now`` against the cap.

    Preconditions: host; not cancelled; the meeting's day has come; not started before.
    Side effects: Room.started_at; one ItemRun per agenda item. Records ``live.started``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_not_cancelled(meeting)
        if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
            raise DomainError(_("The meeting can only be started on its day."), code="too_early")
        refuse_unless(ROOM_TRANSITIONS, "room_open", room.status, ERR_STARTED, code="already_started")
        room.started_at = now
        room.save(update_fields=["started_at"])
        for item in _agenda_items(meeting):
            ItemRun.objects.get_or_create(room=room, agenda_item=item)
        record_event(name="live.started", actor=actor, subject=meeting, now=now)
        _changed(room)
    return room


def _run(room: Room, item: AgendaItem) -> ItemRun:
    run, _created = ItemRun.objects.get_or_create(room=room, agenda_item=item)
    return run


def _stop_current(room: Room, now: datetime, *, status: str, reason: str = "") -> ItemRun | None:
    if room.current_item_id is None:
        return None
    item = room.current_item
    assert item is not None  # current_item_id is set
    run = _run(room, item)
    if run.started_at is not None:
        run.elapsed_seconds += max(0, int((now - run.started_at).total_seconds()))
    run.status = status
    run.ended_at = now
    run.deferral_reason = reason if status == ItemRun.Status.DEFERRED else run.deferral_reason
    run.save()
    room.current_item = None
    room.save(update_fields=["current_item"])
    return run


def _start(room: Room, item: AgendaItem, now: datetime) -> ItemRun:
    run = _run(room, item)
    run.status = ItemRun.Status.CURRENT
    run.started_at = now
    run.ended_at = None
    run.save()
    room.current_item = item
    room.save(update_fields=["current_item"])
    return run


@_logged
def item_start(*, meeting: Meeting, item, actor, now: datetime, expected_version=None) -> ItemRun:
    """The host takes up ``item`` (any order). The item under discussion, if any, is set
    aside (back to "not yet discussed", its time so far kept).

    Preconditions: host; the meeting is running; the item is on this meeting's agenda and
    has not been discussed or deferred already. Records ``live.item_started``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "item_start")
        pk = getattr(item, "pk", item)
        item = (
            AgendaItem.objects.filter(pk=pk, agenda__meeting=meeting).first() if isinstance(pk, int) else None
        )
        if item is None:
            raise DomainError(_("This item is not on the meeting's agenda."), code="not_found", field="item")
        run = _run(room, item)
        if run.status not in ITEM_TRANSITIONS["item_start"].states:
            message, code = ITEM_START_REFUSALS[run.status]
            raise DomainError(message, code=code)
        _stop_current(room, now, status=IR.PENDING)
        run = _start(room, item, now)
        record_event(name="live.item_started", actor=actor, subject=meeting, now=now, item=item.pk)
        _changed(room)
    return run


@_logged
def item_next(
    *, meeting: Meeting, actor, now: datetime, reason: str = "", expected_version=None
) -> ItemRun | None:
    """The host moves on: the current item is finished — or, with ``reason``, deferred as
    unfinished — and the next item not yet discussed is taken up (None: the agenda is done).

    Deferring a topic puts it back in the pool for a later meeting of the series (through
    records.services.item_record, so the record shows the deferral and its reason).
    Records ``live.item_finished`` / ``live.item_deferred`` and ``live.item_started``.
    """
    _require_host(meeting, actor)
    reason = clean_field(reason, field="reason", max_length=MAX_REASON, required=False)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "item_next")
        current = room.current_item
        if current is not None:
            if reason:
                if current.topic_id is not None:
                    item_record(
                        item=current, outcome=ItemRecord.Outcome.DEFERRED, reason=reason, actor=actor, now=now
                    )
                _stop_current(room, now, status=ItemRun.Status.DEFERRED, reason=reason)
                record_event(
                    name="live.item_deferred",
                    actor=actor,
                    subject=meeting,
                    now=now,
                    item=current.pk,
                    reason=reason,
                )
            else:
                _stop_current(room, now, status=ItemRun.Status.DONE)
                record_event(
                    name="live.item_finished", actor=actor, subject=meeting, now=now, item=current.pk
                )
        elif reason:
            raise DomainError(_("No item is under discussion."), code="no_current_item", field="reason")
        done = set(
            ItemRun.objects.filter(room=room)
            .exclude(status__in=ITEM_TRANSITIONS["item_start"].states)
            .values_list("agenda_item_id", flat=True)
        )
        following = next((i for i in _agenda_items(meeting) if i.pk not in done), None)
        run = None
        if following is not None:
            run = _start(room, following, now)
            record_event(name="live.item_started", actor=actor, subject=meeting, now=now, item=following.pk)
        elif current is None:
            raise DomainError(_("Every agenda item has been dealt with."), code="agenda_done")
        _changed(room)
    return run


@_logged
def meeting_end(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Room:
    """The host ends the meeting: the item under discussion is finished, the speech ended,
    the speakers still waiting are taken off the list.

    Preconditions: host; running; no vote open (close it first). Records ``live.ended``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "meeting_end")
        if Vote.objects.filter(meeting=meeting, status=sole_state(VOTE_TRANSITIONS, "vote_close")).exists():
            raise DomainError(_("Close the open vote first."), code="vote_open")
        _stop_current(room, now, status=ItemRun.Status.DONE)
        _end_speaking(meeting, now)
        Speech.objects.filter(
            meeting=meeting, status=sole_state(SPEECH_TRANSITIONS, "floor_withdraw")
        ).update(status=Speech.Status.WITHDRAWN)
        room.ended_at = now
        room.save(update_fields=["ended_at"])
        assert room.started_at is not None  # the room was running
        record_event(
            name="live.ended",
            actor=actor,
            subject=meeting,
            now=now,
            minutes=int((now - room.started_at).total_seconds() // 60),
        )
        _changed(room)
    return room

"""The room of a live meeting: its row lock and version, the broadcast after each change,
who hosts and records, and the checks every command shares."""

from __future__ import annotations

import functools
import logging

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.core.transitions import Step, step
from xietong.meetings.models import Meeting
from xietong.records.models import Attendance

from .. import realtime
from ..models import Room

logger = logging.getLogger("xietong.live")


PRESENT = (Attendance.Status.PRESENT, Attendance.Status.LATE)

ERR_STALE = _("The meeting has moved on since this screen was updated; look again and retry.")
ERR_NOT_HOST = _("Only the meeting's host may do this.")
ERR_NOT_STARTED = _("The host has not started the meeting yet.")
ERR_ENDED = _("The meeting has ended.")
ERR_CANCELLED = _("This meeting was cancelled.")
ERR_STARTED = _("The meeting has already been started.")

R = Room.Status

# Who may send a command. The service checks the person; the screens show a command's button
# to the viewer who holds its role (static/xietong/live.js reads the same names).
HOST = "host"  # the meeting's host
RECORDER = "recorder"  # the meeting's recorder, or its host
PARTICIPANT = "participant"  # anyone following the room on their phone (the service checks the seat)
SPEAKER = "speaker"  # the speaker of that request for the floor, or the host
VOTER = "voter"  # someone signed in for an invitee's seat

# command -> (the room's states it is accepted in, who may send it). Every command of the room
# is here; the votes' own commands are accepted in any state of the room and are gated by the
# vote's table (votes.VOTE_TRANSITIONS), an item's and a speech's by theirs.
ROOM_TRANSITIONS: dict[str, Step] = {
    "room_open": step({R.NOT_STARTED}, HOST),
    "signin_self": step({R.NOT_STARTED, R.RUNNING}, PARTICIPANT),
    "signin_by_recorder": step({R.NOT_STARTED, R.RUNNING}, RECORDER),
    "guest_admit": step({R.NOT_STARTED, R.RUNNING}, HOST),
    "signin_code_renew": step(R.values, RECORDER),
    "item_start": step({R.RUNNING}, HOST),
    "item_next": step({R.RUNNING}, HOST),
    "meeting_end": step({R.RUNNING}, HOST),
    "floor_request": step({R.RUNNING}, PARTICIPANT),
    "floor_withdraw": step({R.RUNNING}, SPEAKER),
    "floor_grant": step({R.RUNNING}, HOST),
    "floor_reorder": step({R.RUNNING}, HOST),
    "speech_end": step({R.RUNNING}, SPEAKER),
    "vote_open": step({R.RUNNING}, HOST),
    "ballot_cast": step(R.values, VOTER),
    "vote_close": step(R.values, HOST),
    "vote_to_decision": step(R.values, RECORDER),
}

# Why a command is refused in a state of the room it is not accepted in.
ROOM_REFUSALS: dict[str, tuple[str | Promise, str]] = {
    R.NOT_STARTED: (ERR_NOT_STARTED, "not_started"),
    R.RUNNING: (ERR_STARTED, "already_started"),
    R.ENDED: (ERR_ENDED, "ended"),
}


# ---- plumbing -----------------------------------------------------------------------------


def _logged(func):
    """Log every refusal (the message, who, which meeting) before it reaches the caller."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (DomainError, Forbidden) as exc:
            meeting = kwargs.get("meeting")
            actor = kwargs.get("actor")
            logger.warning(
                "live %s refused: meeting=%s actor=%s code=%s: %s",
                func.__name__,
                getattr(meeting, "pk", None),
                getattr(actor, "pk", None),
                getattr(exc, "code", ""),
                exc,
            )
            raise

    return wrapper


def room_for(meeting: Meeting) -> Room:
    """The meeting's room, created on first use."""
    room, _created = Room.objects.get_or_create(meeting=meeting)
    return room


def _lock_room(meeting: Meeting, expected_version: int | None) -> Room:
    """Lock the room (inside a transaction); refuse a command sent against an older state."""
    room = Room.objects.select_for_update().filter(meeting_id=meeting.pk).first()
    if room is None:  # first use of the room: create it, then take the lock
        Room.objects.get_or_create(meeting_id=meeting.pk)
        room = Room.objects.select_for_update().get(meeting_id=meeting.pk)
    if expected_version is not None:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise DomainError(ERR_STALE, code="stale") from None
        if expected != room.version:
            raise DomainError(ERR_STALE, code="stale")
    return room


def _changed(room: Room) -> None:
    """Bump the version in this transaction; broadcast the new state once it is committed."""
    # The row is locked (_lock_room) and its version was read under the lock: no re-read.
    room.version += 1
    Room.objects.filter(pk=room.pk).update(version=room.version)
    meeting_id = room.meeting_id

    def broadcast() -> None:
        realtime.room_changed(meeting_id)

    transaction.on_commit(broadcast)


def is_host(meeting: Meeting, actor) -> bool:
    return actor is not None and getattr(actor, "pk", None) is not None and meeting.host_id == actor.pk


def is_recorder(meeting: Meeting, actor) -> bool:
    return actor is not None and getattr(actor, "pk", None) is not None and meeting.recorder_id == actor.pk


def _require_host(meeting: Meeting, actor) -> None:
    if not is_host(meeting, actor):
        raise Forbidden(ERR_NOT_HOST, code="not_host")


def _require_person(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Sign in to your account first."), code="not_authenticated")


def _require_not_cancelled(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise DomainError(ERR_CANCELLED, code="meeting_cancelled")


def _require_phase(room: Room, command: str) -> None:
    """Refuse ``command`` unless the room's table accepts it in the room's state."""
    status = room.status
    if status not in ROOM_TRANSITIONS[command].states:
        message, code = ROOM_REFUSALS[status]
        raise DomainError(message, code=code)


def _require_room(meeting: Meeting, room: Room, command: str) -> None:
    """The meeting is not cancelled and the room's state accepts ``command``."""
    _require_not_cancelled(meeting)
    _require_phase(room, command)


def _of_meeting(model, obj, meeting: Meeting, message):
    """``obj`` (or its id) re-read from the database, refused unless it belongs to ``meeting``."""
    pk = getattr(obj, "pk", obj)
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise DomainError(message, code="not_found")
    found = model.objects.filter(pk=pk, meeting=meeting).first()
    if found is None:
        raise DomainError(message, code="not_found")
    return found

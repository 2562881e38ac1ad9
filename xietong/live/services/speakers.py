"""The speakers' list: asking for the floor, the host granting it and ordering the queue, and
each speech's time against the policy's limit."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.transitions import Step, sole_state, step
from xietong.meetings.models import Meeting, Rsvp
from xietong.records.models import Attendance

from ..models import Guest, Speech
from .rooms import (
    ERR_NOT_HOST,
    HOST,
    PRESENT,
    SPEAKER,
    _changed,
    _lock_room,
    _logged,
    _of_meeting,
    _require_host,
    _require_person,
    _require_room,
    is_host,
)

# ---- speakers' list -------------------------------------------------------------------------

Q = Speech.Status

# command -> (the states of a request for the floor it may start from, who may send it).
# A request is made waiting (floor_request); ending the meeting takes the waiting ones off the
# list, and giving someone the floor ends the speech before it.
SPEECH_TRANSITIONS: dict[str, Step] = {
    "floor_grant": step({Q.QUEUED}, HOST),
    "floor_reorder": step({Q.QUEUED}, HOST),
    "floor_withdraw": step({Q.QUEUED}, SPEAKER),
    "speech_end": step({Q.SPEAKING}, SPEAKER),
}
# A person on the list (waiting or speaking) does not ask for the floor again.
ON_THE_LIST = SPEECH_TRANSITIONS["floor_withdraw"].states | SPEECH_TRANSITIONS["speech_end"].states
ERR_NOT_WAITING = _("This request for the floor is no longer waiting.")


def _require_waiting(speech: Speech, command: str) -> None:
    if speech.status not in SPEECH_TRANSITIONS[command].states:
        raise DomainError(ERR_NOT_WAITING, code="not_queued")


def _presence(meeting: Meeting, person) -> tuple[bool, int | None]:
    """Whether ``person`` is in the room (signed in, or an admitted guest) and the department
    they speak for (a delegate speaks for the department of the person replaced)."""
    attendance = (
        Attendance.objects.filter(meeting=meeting, person=person, status__in=PRESENT)
        .select_related("on_behalf_of")
        .first()
    )
    if attendance is not None:
        seat_id = attendance.on_behalf_of_id or person.pk
        rsvp = Rsvp.objects.filter(meeting=meeting, invitee_id=seat_id).first()
        if rsvp is not None and rsvp.department_id:
            return True, rsvp.department_id
        seat = attendance.on_behalf_of or person
        return True, seat.department_id
    if Guest.objects.filter(meeting=meeting, person=person).exists():
        return True, person.department_id
    return False, None


def _speaking_limit_seconds(meeting: Meeting) -> int | None:
    rule = meeting.policy_version.rules.get("speaking_limit")
    return rule.minutes * 60 if rule is not None and rule.minutes else None


def _end_speaking(meeting: Meeting, now: datetime) -> Speech | None:
    speech = (
        Speech.objects.select_for_update()
        .filter(meeting=meeting, status=sole_state(SPEECH_TRANSITIONS, "speech_end"))
        .first()
    )
    if speech is None:
        return None
    assert speech.started_at is not None  # a speech has the floor from the moment it started
    speech.status = Speech.Status.DONE
    speech.ended_at = now
    speech.duration_seconds = max(0, int((now - speech.started_at).total_seconds()))
    speech.save(update_fields=["status", "ended_at", "duration_seconds"])
    return speech


def _queued(meeting: Meeting) -> list[Speech]:
    waiting = sole_state(SPEECH_TRANSITIONS, "floor_reorder")
    return list(Speech.objects.filter(meeting=meeting, status=waiting).order_by("order", "id"))


@_logged
def floor_request(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Speech:
    """A participant asks for the floor from their phone: they join the end of the list.

    Preconditions: the meeting is running; the actor is signed in (or an admitted guest
    with an account) and is not already waiting or speaking. Records ``live.floor_requested``.
    """
    _require_person(actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "floor_request")
        present, department_id = _presence(meeting, actor)
        if not present:
            raise DomainError(_("Sign in to the meeting before asking for the floor."), code="not_present")
        if Speech.objects.filter(meeting=meeting, person=actor, status__in=ON_THE_LIST).exists():
            raise DomainError(_("You are already on the speakers' list."), code="already_queued")
        last = Speech.objects.filter(meeting=meeting).aggregate(m=Max("order"))["m"] or 0
        speech = Speech.objects.create(
            meeting=meeting,
            person=actor,
            department_id=department_id,
            order=last + 1,
            requested_at=now,
            agenda_item=room.current_item,
        )
        record_event(name="live.floor_requested", actor=actor, subject=meeting, now=now, speech=speech.pk)
        _changed(room)
    return speech


@_logged
def floor_withdraw(*, meeting: Meeting, actor, now: datetime, speech=None, expected_version=None) -> Speech:
    """A waiting speaker withdraws (``speech`` None: the actor's own request); the host may
    take anyone off the list. Records ``live.floor_withdrawn``."""
    _require_person(actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "floor_withdraw")
        if speech is None:
            speech = Speech.objects.filter(
                meeting=meeting, person=actor, status__in=SPEECH_TRANSITIONS["floor_withdraw"].states
            ).first()
            if speech is None:
                raise DomainError(_("You are not waiting for the floor."), code="not_queued")
        else:
            speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
            if speech.person_id != actor.pk and not is_host(meeting, actor):
                raise Forbidden(ERR_NOT_HOST, code="not_host")
            _require_waiting(speech, "floor_withdraw")
        speech.status = Q.WITHDRAWN
        speech.save(update_fields=["status"])
        record_event(name="live.floor_withdrawn", actor=actor, subject=meeting, now=now, speech=speech.pk)
        _changed(room)
    return speech


@_logged
def floor_grant(*, meeting: Meeting, speech, actor, now: datetime, expected_version=None) -> Speech:
    """The host gives the floor to a waiting speaker; whoever was speaking is finished.

    The speech runs against the policy's ``speaking_limit`` (seed 02 三、(一)1; none when the
    policy sets no limit) from ``now``, on the item under discussion. Records ``live.floor_granted``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "floor_grant")
        speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
        _require_waiting(speech, "floor_grant")
        _end_speaking(meeting, now)
        speech.status = Speech.Status.SPEAKING
        speech.started_at = now
        speech.agenda_item = room.current_item
        speech.limit_seconds = _speaking_limit_seconds(meeting)
        speech.save(update_fields=["status", "started_at", "agenda_item", "limit_seconds"])
        record_event(name="live.floor_granted", actor=actor, subject=meeting, now=now, speech=speech.pk)
        _changed(room)
    return speech


@_logged
def floor_reorder(
    *, meeting: Meeting, speech, position, actor, now: datetime, expected_version=None
) -> Speech:
    """The host moves a waiting speaker to ``position`` (1 = next) in the list.
    Records ``live.floor_reordered``."""
    _require_host(meeting, actor)
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise DomainError(_("Choose a position in the list."), code="bad_position", field="position")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "floor_reorder")
        speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
        _require_waiting(speech, "floor_reorder")
        queue = [s for s in _queued(meeting) if s.pk != speech.pk]
        queue.insert(min(position, len(queue) + 1) - 1, speech)
        for n, s in enumerate(queue, start=1):
            if s.order != n:
                Speech.objects.filter(pk=s.pk).update(order=n)
        speech.order = queue.index(speech) + 1
        record_event(
            name="live.floor_reordered",
            actor=actor,
            subject=meeting,
            now=now,
            speech=speech.pk,
            position=speech.order,
        )
        _changed(room)
    return speech


@_logged
def speech_end(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Speech:
    """The host (or the speaker) ends the current speech; its duration is kept.
    Records ``live.speech_ended`` (seconds, over the limit or not)."""
    _require_person(actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "speech_end")
        current = Speech.objects.filter(
            meeting=meeting, status=sole_state(SPEECH_TRANSITIONS, "speech_end")
        ).first()
        if current is None:
            raise DomainError(_("Nobody has the floor."), code="no_speech")
        if current.person_id != actor.pk and not is_host(meeting, actor):
            raise Forbidden(ERR_NOT_HOST, code="not_host")
        speech = _end_speaking(meeting, now)
        assert speech is not None  # the room is locked: the speech found above still has the floor
        record_event(
            name="live.speech_ended",
            actor=actor,
            subject=meeting,
            now=now,
            speech=speech.pk,
            seconds=speech.duration_seconds,
            over_limit=speech.over_limit,
        )
        _changed(room)
    return speech

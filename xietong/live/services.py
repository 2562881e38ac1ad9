"""Running a meeting live: sign-in, the host's progress through the agenda, the speakers'
list, votes — each change lands in the meeting record as it happens.

Seed 01 第五条(二)2 (the host runs the meeting, at most ``meeting_duration_cap`` minutes);
seed 02 三、(一) (``speaking_limit`` per speech, live 同意/反对/弃权 votes) and 四、(一)
(decision rule: ``majority_method``, ``min_agree_votes``, ``quorum_percent``; see
``xietong.live.rules``).

Every command is keyword-only ``(*, meeting, actor, now, ..., expected_version=None)``. It
locks the meeting's Room row, refuses a stale ``expected_version`` (two host tabs), checks
role and state, writes, bumps ``Room.version`` and, after commit, pushes the new state to
every screen (``xietong.live.realtime.room_changed``). Refusals raise DomainError/Forbidden,
change nothing and are logged on the "xietong.live" logger.
"""

from __future__ import annotations

import functools
import logging
import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xietong.agenda.models import AgendaItem
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.meetings.models import Meeting, Rsvp
from xietong.org.models import Delegation, Person
from xietong.policy.calendar import as_shanghai
from xietong.records.models import Attendance, ItemRecord

from . import rules as decision_rules
from .models import Ballot, Guest, ItemRun, Room, SigninLinkUse, Speech, Vote, VoteParticipation

logger = logging.getLogger("xietong.live")

SIGNIN_SALT = "xietong.live.signin"
MAX_REASON = 300
MAX_PROPOSAL = Vote._meta.get_field("proposal").max_length
MAX_GUEST_NAME = Guest._meta.get_field("name").max_length
MAX_GUEST_NOTE = Guest._meta.get_field("note").max_length
CHOICES = tuple(Vote.Choice.values)
PRESENT = (Attendance.Status.PRESENT, Attendance.Status.LATE)

ERR_STALE = _("The meeting has moved on since this screen was updated; look again and retry.")
ERR_NOT_HOST = _("Only the meeting's host may do this.")
ERR_NOT_STARTED = _("The host has not started the meeting yet.")
ERR_ENDED = _("The meeting has ended.")
ERR_CANCELLED = _("This meeting was cancelled.")


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
        from . import realtime

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


def _require_running(meeting: Meeting, room: Room) -> None:
    _require_not_cancelled(meeting)
    if room.started_at is None:
        raise DomainError(ERR_NOT_STARTED, code="not_started")
    if room.ended_at is not None:
        raise DomainError(ERR_ENDED, code="ended")


def _text(value, *, field: str, max_length: int, required: bool) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if "\x00" in value:
        # PostgreSQL cannot store it in a text column; refused like any other invalid text.
        raise DomainError(
            _("This text contains a character that is not allowed."), code="invalid", field=field
        )
    if required and not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    if len(value) > max_length:
        raise DomainError(
            _("Keep this under %(max)s characters (it has %(length)s)."),
            code="too_long",
            field=field,
            params={"max": max_length, "length": len(value)},
        )
    return value


def _of_meeting(model, obj, meeting: Meeting, message):
    """``obj`` (or its id) re-read from the database, refused unless it belongs to ``meeting``."""
    pk = getattr(obj, "pk", obj)
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise DomainError(message, code="not_found")
    found = model.objects.filter(pk=pk, meeting=meeting).first()
    if found is None:
        raise DomainError(message, code="not_found")
    return found


# ---- who sits where -------------------------------------------------------------------------


def invitee_ids(meeting: Meeting) -> set[int]:
    """Everyone the notice went to: they, or their delegates, are entitled to sign in and vote."""
    return set(Rsvp.objects.filter(meeting=meeting).values_list("invitee_id", flat=True))


def seats_for(meeting: Meeting, person: Person) -> list[int]:
    """The invitees ``person`` may sit for: themselves when invited, then those they replace
    (named as delegate on the notice, or holding a delegation covering the meeting's date)."""
    invited = invitee_ids(meeting)
    seats = [person.pk] if person.pk in invited else []
    named = Rsvp.objects.filter(
        meeting=meeting, delegate=person, response=Rsvp.Response.DELEGATE
    ).values_list("invitee_id", flat=True)
    day = as_shanghai(meeting.starts_at).date()
    period = Delegation.objects.filter(delegate=person, starts_on__lte=day, ends_on__gte=day).values_list(
        "principal_id", flat=True
    )
    for pk in sorted({*named, *period}):
        if pk in invited and pk not in seats:
            seats.append(pk)
    return seats


def taken_seats(meeting: Meeting) -> dict[int, Attendance]:
    """Seat (invitee id) -> the attendance sitting in it, for everyone signed in."""
    out: dict[int, Attendance] = {}
    for a in Attendance.objects.filter(meeting=meeting, status__in=PRESENT).select_related("person"):
        out[a.on_behalf_of_id or a.person_id] = a
    return out


def present_voter_seats(meeting: Meeting) -> set[int]:
    """Seats of invitees present (in person or through their delegate): the voters present."""
    invited = invitee_ids(meeting)
    return {seat for seat in taken_seats(meeting) if seat in invited}


def _choose_seat(meeting: Meeting, person: Person, on_behalf_of) -> Person | None:
    """The person ``person`` signs in for (None: themselves); refuses non-invitees."""
    seats = seats_for(meeting, person)
    if not seats:
        raise Forbidden(
            _("You are not invited to this meeting; ask the host to admit you as a guest."),
            code="not_invited",
        )
    if on_behalf_of is not None:
        pk = getattr(on_behalf_of, "pk", on_behalf_of)
        if pk == person.pk and pk in seats:
            return None
        if pk not in seats or pk == person.pk:
            raise DomainError(
                _("You do not attend on behalf of this person."), code="not_delegate", field="on_behalf_of"
            )
        return Person.objects.get(pk=pk)
    if seats[0] == person.pk:
        return None
    if len(seats) > 1:
        raise DomainError(
            _("You replace more than one invitee; choose whom you attend for."),
            code="choose_principal",
            field="on_behalf_of",
        )
    return Person.objects.get(pk=seats[0])


def _sign_in(
    meeting: Meeting, room: Room, *, person: Person, on_behalf_of, actor, now: datetime, **how
) -> Attendance:
    """Sign ``person`` in (into records.Attendance) and record ``live.signed_in`` with ``how``
    (e.g. by_recorder=True, via="link"); the caller holds the room's lock."""
    from xietong.records.services import attendance_signin

    _require_not_cancelled(meeting)
    if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
        raise DomainError(_("Sign-in opens on the day of the meeting."), code="too_early")
    if room.ended_at is not None:
        raise DomainError(ERR_ENDED, code="ended")
    principal = _choose_seat(meeting, person, on_behalf_of)
    existing = Attendance.objects.filter(meeting=meeting, person=person, status__in=PRESENT).first()
    if existing is not None:
        raise DomainError(
            _("%(name)s has already signed in."),
            code="already_signed_in",
            params={"name": person.get_full_name()},
        )
    seat = principal.pk if principal is not None else person.pk
    holder = taken_seats(meeting).get(seat)
    if holder is not None:
        raise DomainError(
            _("Someone has already signed in for %(name)s."),
            code="seat_taken",
            params={"name": (principal or person).get_full_name()},
        )
    attendance = attendance_signin(
        meeting=meeting, person=person, actor=actor, now=now, on_behalf_of=principal
    )
    record_event(
        name="live.signed_in",
        actor=actor,
        subject=meeting,
        now=now,
        person=person.pk,
        on_behalf_of=attendance.on_behalf_of_id,
        status=attendance.status,
        **how,
    )
    return attendance


# ---- sign-in --------------------------------------------------------------------------------


@_logged
def signin_self(
    *,
    meeting: Meeting,
    actor,
    now: datetime,
    token: str | None = None,
    on_behalf_of=None,
    expected_version=None,
) -> Attendance:
    """A participant signs in from their phone (after scanning the room's QR code).

    Preconditions: ``actor`` is logged in and invited, or replaces an invitee (named delegate
    on the notice, or a delegation covering the meeting's date) — anyone else is refused
    (the host may admit them as a guest); ``token``, when given, is the room's current QR
    token; the meeting is not cancelled, its day has come and the room has not ended; the
    actor has not signed in yet and nobody sits in the seat already.
    Side effects: records.Attendance present, or late after the scheduled start (the policy
    grants no grace period). Records ``attendance.recorded`` and ``live.signed_in``.
    """
    _require_person(actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        if token is not None and not secrets.compare_digest(str(token), room.signin_token):
            raise DomainError(_("This sign-in code is not valid for this meeting."), code="bad_token")
        attendance = _sign_in(meeting, room, person=actor, on_behalf_of=on_behalf_of, actor=actor, now=now)
        _changed(room)
    return attendance


@_logged
def signin_by_recorder(
    *, meeting: Meeting, person, actor, now: datetime, on_behalf_of=None, expected_version=None
) -> Attendance:
    """The recorder (or host) signs someone in by hand, e.g. without a phone.

    Same rules as ``signin_self`` for ``person``. Records ``live.signed_in`` (by).
    """
    if not (is_recorder(meeting, actor) or is_host(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may sign people in."), code="not_recorder")
    if not isinstance(person, Person) or not Person.objects.filter(pk=person.pk, is_active=True).exists():
        raise DomainError(_("Choose a person."), code="required", field="person")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        attendance = _sign_in(
            meeting, room, person=person, on_behalf_of=on_behalf_of, actor=actor, now=now, by_recorder=True
        )
        _changed(room)
    return attendance


@_logged
def signin_code_renew(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Room:
    """The host (or recorder) replaces the room's QR sign-in code, e.g. after a photo of it
    left the room: the old code stops working. Records ``live.signin_code_renewed``."""
    from .models import _new_token

    if not (is_host(meeting, actor) or is_recorder(meeting, actor)):
        raise Forbidden(ERR_NOT_HOST, code="not_host")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        room.signin_token = _new_token()
        room.save(update_fields=["signin_token"])
        record_event(name="live.signin_code_renewed", actor=actor, subject=meeting, now=now)
        _changed(room)
    return room


def signin_link(meeting: Meeting, person: Person) -> str:
    """A personal one-time sign-in link (URL path) for the notice to carry."""
    token = signing.dumps({"m": meeting.pk, "p": person.pk, "n": secrets.token_urlsafe(12)}, salt=SIGNIN_SALT)
    return reverse("live:signin_link", args=[token])


def signin_link_expires(meeting: Meeting) -> datetime:
    """When the personal sign-in links of ``meeting`` stop working, and with them the room
    pass a link leaves on a phone: the scheduled end plus the policy's ``signin_link_grace``
    (the scheduled end itself when the policy sets no grace)."""
    rule = meeting.policy_version.rules.get("signin_link_grace")
    grace = rule.minutes if rule is not None and rule.minutes else 0
    return meeting.ends_at + timedelta(minutes=grace)


def signin_link_read(token: str, *, now: datetime) -> tuple[Meeting, Person, str]:
    """The meeting, person and nonce a link token names.

    Refused (DomainError) when the token was tampered with, names an unpublished meeting or
    an inactive person, was minted before the meeting's notice went out (the signature's own
    timestamp), or ``now`` is past ``signin_link_expires``.
    """
    invalid = DomainError(_("This sign-in link is not valid."), code="bad_link")
    expired = DomainError(_("This sign-in link has expired."), code="link_expired")
    try:
        data = signing.loads(token, salt=SIGNIN_SALT)
        meeting = Meeting.objects.select_related("policy_version").get(pk=int(data["m"]))
        person = Person.objects.get(pk=int(data["p"]), is_active=True)
        nonce = str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Meeting.DoesNotExist, Person.DoesNotExist):
        raise invalid from None
    if meeting.published_at is None:
        raise invalid
    # The signature's timestamp has whole seconds: one second of slack for a link minted
    # in the second the notice went out.
    since_notice = max(0.0, (now - meeting.published_at).total_seconds()) + 1
    try:
        signing.loads(token, salt=SIGNIN_SALT, max_age=since_notice)
    except signing.SignatureExpired:
        raise expired from None
    if now > signin_link_expires(meeting):
        raise expired
    return meeting, person, nonce


@_logged
def signin_with_link(*, token: str, now: datetime, meeting: Meeting | None = None, actor=None) -> Attendance:
    """Sign in through a personal one-time link: valid once, for its meeting and person,
    from the notice until ``signin_link_expires``.

    Side effects: the link's use is recorded (a second use is refused); the person is signed
    in as by ``signin_self``. Records ``live.signed_in`` (via link). Logs nobody in: the
    page that calls this leaves a room pass (``xietong.live.roompass``) instead.
    """
    link_meeting, person, nonce = signin_link_read(token, now=now)
    if meeting is not None and meeting.pk != link_meeting.pk:
        raise DomainError(_("This sign-in link is not valid."), code="bad_link")
    meeting = link_meeting
    with transaction.atomic():
        room = _lock_room(meeting, None)
        if SigninLinkUse.objects.filter(nonce=nonce).exists():
            raise DomainError(_("This sign-in link has already been used."), code="link_used")
        attendance = _sign_in(
            meeting, room, person=person, on_behalf_of=None, actor=person, now=now, via="link"
        )
        try:
            with transaction.atomic():
                SigninLinkUse.objects.create(nonce=nonce, meeting=meeting, person=person, used_at=now)
        except IntegrityError:
            raise DomainError(_("This sign-in link has already been used."), code="link_used") from None
        _changed(room)
    return attendance


@_logged
def guest_admit(
    *,
    meeting: Meeting,
    actor,
    now: datetime,
    name: str = "",
    person=None,
    note: str = "",
    expected_version=None,
) -> Guest:
    """The host admits someone who was not invited (a guest may ask for the floor, not vote).

    Preconditions: host; the meeting is not cancelled, its day has come, the room has not
    ended; a name (or an account, whose name is used) that is not an invitee's and not
    already admitted. Records ``live.guest_admitted``.
    """
    _require_host(meeting, actor)
    if person is not None:
        if not isinstance(person, Person) or not Person.objects.filter(pk=person.pk, is_active=True).exists():
            raise DomainError(_("Choose a person."), code="required", field="person")
        name = person.get_full_name()
        if seats_for(meeting, person):
            raise DomainError(
                _("%(name)s is invited; they sign in themselves."),
                code="invited",
                field="person",
                params={"name": name},
            )
    name = _text(name, field="name", max_length=MAX_GUEST_NAME, required=True)
    note = _text(note, field="note", max_length=MAX_GUEST_NOTE, required=False)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_not_cancelled(meeting)
        if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
            raise DomainError(_("Sign-in opens on the day of the meeting."), code="too_early")
        if room.ended_at is not None:
            raise DomainError(ERR_ENDED, code="ended")
        if person is not None and Guest.objects.filter(meeting=meeting, person=person).exists():
            raise DomainError(
                _("%(name)s has already been admitted."), code="already_admitted", params={"name": name}
            )
        guest = Guest.objects.create(
            meeting=meeting, name=name, person=person, note=note, admitted_by=actor, admitted_at=now
        )
        record_event(
            name="live.guest_admitted",
            actor=actor,
            subject=meeting,
            now=now,
            guest=guest.pk,
            guest_name=name,
            person=person.pk if person else None,
        )
        _changed(room)
    return guest


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
        if room.started_at is not None:
            raise DomainError(_("The meeting has already been started."), code="already_started")
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
    run = _run(room, room.current_item)
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
        _require_running(meeting, room)
        pk = getattr(item, "pk", item)
        item = (
            AgendaItem.objects.filter(pk=pk, agenda__meeting=meeting).first() if isinstance(pk, int) else None
        )
        if item is None:
            raise DomainError(_("This item is not on the meeting's agenda."), code="not_found", field="item")
        run = _run(room, item)
        if run.status in (ItemRun.Status.DONE, ItemRun.Status.DEFERRED):
            raise DomainError(_("This item has already been dealt with."), code="item_done")
        if room.current_item_id == item.pk:
            raise DomainError(_("This item is already under discussion."), code="item_current")
        _stop_current(room, now, status=ItemRun.Status.PENDING)
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
    from xietong.records.services import item_record

    _require_host(meeting, actor)
    reason = _text(reason, field="reason", max_length=MAX_REASON, required=False)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_running(meeting, room)
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
            ItemRun.objects.filter(
                room=room, status__in=[ItemRun.Status.DONE, ItemRun.Status.DEFERRED]
            ).values_list("agenda_item_id", flat=True)
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
        _require_running(meeting, room)
        if Vote.objects.filter(meeting=meeting, status=Vote.Status.OPEN).exists():
            raise DomainError(_("Close the open vote first."), code="vote_open")
        _stop_current(room, now, status=ItemRun.Status.DONE)
        _end_speaking(meeting, now)
        Speech.objects.filter(meeting=meeting, status=Speech.Status.QUEUED).update(
            status=Speech.Status.WITHDRAWN
        )
        room.ended_at = now
        room.save(update_fields=["ended_at"])
        record_event(
            name="live.ended",
            actor=actor,
            subject=meeting,
            now=now,
            minutes=int((now - room.started_at).total_seconds() // 60),
        )
        _changed(room)
    return room


# ---- speakers' list -------------------------------------------------------------------------


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
    speech = Speech.objects.select_for_update().filter(meeting=meeting, status=Speech.Status.SPEAKING).first()
    if speech is None:
        return None
    speech.status = Speech.Status.DONE
    speech.ended_at = now
    speech.duration_seconds = max(0, int((now - speech.started_at).total_seconds()))
    speech.save(update_fields=["status", "ended_at", "duration_seconds"])
    return speech


def _queued(meeting: Meeting) -> list[Speech]:
    return list(Speech.objects.filter(meeting=meeting, status=Speech.Status.QUEUED).order_by("order", "id"))


@_logged
def floor_request(*, meeting: Meeting, actor, now: datetime, expected_version=None) -> Speech:
    """A participant asks for the floor from their phone: they join the end of the list.

    Preconditions: the meeting is running; the actor is signed in (or an admitted guest
    with an account) and is not already waiting or speaking. Records ``live.floor_requested``.
    """
    _require_person(actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_running(meeting, room)
        present, department_id = _presence(meeting, actor)
        if not present:
            raise DomainError(_("Sign in to the meeting before asking for the floor."), code="not_present")
        if Speech.objects.filter(
            meeting=meeting, person=actor, status__in=[Speech.Status.QUEUED, Speech.Status.SPEAKING]
        ).exists():
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
        _require_running(meeting, room)
        if speech is None:
            speech = Speech.objects.filter(meeting=meeting, person=actor, status=Speech.Status.QUEUED).first()
            if speech is None:
                raise DomainError(_("You are not waiting for the floor."), code="not_queued")
        else:
            speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
            if speech.person_id != actor.pk and not is_host(meeting, actor):
                raise Forbidden(ERR_NOT_HOST, code="not_host")
            if speech.status != Speech.Status.QUEUED:
                raise DomainError(_("This request for the floor is no longer waiting."), code="not_queued")
        speech.status = Speech.Status.WITHDRAWN
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
        _require_running(meeting, room)
        speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
        if speech.status != Speech.Status.QUEUED:
            raise DomainError(_("This request for the floor is no longer waiting."), code="not_queued")
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
        _require_running(meeting, room)
        speech = _of_meeting(Speech, speech, meeting, _("No such request for the floor."))
        if speech.status != Speech.Status.QUEUED:
            raise DomainError(_("This request for the floor is no longer waiting."), code="not_queued")
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
        _require_running(meeting, room)
        current = Speech.objects.filter(meeting=meeting, status=Speech.Status.SPEAKING).first()
        if current is None:
            raise DomainError(_("Nobody has the floor."), code="no_speech")
        if current.person_id != actor.pk and not is_host(meeting, actor):
            raise Forbidden(ERR_NOT_HOST, code="not_host")
        speech = _end_speaking(meeting, now)
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


# ---- votes ----------------------------------------------------------------------------------


def vote_rule(meeting: Meeting) -> dict:
    """The decision rule the policy sets for ``meeting`` (method, minimum agrees, quorum, clauses)."""
    policy = meeting.policy_version.rules
    clauses = []
    for key in ("majority_method", "min_agree_votes", "quorum_percent"):
        rule = policy.get(key)
        if rule is not None and rule.clause and rule.clause not in clauses:
            clauses.append(rule.clause)
    return {
        "method": policy.choice("majority_method"),
        "min_agree": policy.count("min_agree_votes"),
        "quorum_percent": policy.count("quorum_percent"),
        "clause": "；".join(clauses),
    }


@_logged
def vote_open(
    *,
    meeting: Meeting,
    actor,
    now: datetime,
    proposal: str,
    secret: bool = False,
    item=None,
    expected_version=None,
) -> Vote:
    """The host opens a vote on ``proposal`` (named, or secret), on ``item`` (default: the
    item under discussion).

    Preconditions: host; running; no other vote open; a proposal of 1–500 characters.
    The rule (majority method, minimum agrees, quorum) is copied from the policy now, with
    the number entitled to vote (the invitees). Records ``live.vote_opened``.
    """
    _require_host(meeting, actor)
    proposal = _text(proposal, field="proposal", max_length=MAX_PROPOSAL, required=True)
    if not isinstance(secret, bool):
        raise DomainError(_("Choose a named or a secret vote."), code="bad_secret", field="secret")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_running(meeting, room)
        if item is not None:
            pk = getattr(item, "pk", item)
            item = (
                AgendaItem.objects.filter(pk=pk, agenda__meeting=meeting).first()
                if isinstance(pk, int)
                else None
            )
            if item is None:
                raise DomainError(
                    _("This item is not on the meeting's agenda."), code="not_found", field="item"
                )
        else:
            item = room.current_item
        if Vote.objects.filter(meeting=meeting, status=Vote.Status.OPEN).exists():
            raise DomainError(_("Another vote is open; close it first."), code="vote_open")
        vote = Vote.objects.create(
            meeting=meeting,
            agenda_item=item,
            proposal=proposal,
            secret=secret,
            eligible_count=len(invitee_ids(meeting)),
            opened_by=actor,
            opened_at=now,
            **vote_rule(meeting),
        )
        record_event(
            name="live.vote_opened", actor=actor, subject=vote, now=now, secret=secret, method=vote.method
        )
        _changed(room)
    return vote


@_logged
def ballot_cast(*, meeting: Meeting, vote, actor, now: datetime, choice: str, expected_version=None) -> Vote:
    """A voter present casts one ballot: "agree", "against" or "abstain". Final once cast.

    Preconditions: the vote is of this meeting and open; the actor is signed in for an
    invitee's seat (their own, or as the delegate of the person they replace) — guests and
    people not signed in do not vote; that seat has not voted.
    Side effects: the counter rises; VoteParticipation (who has voted) is written; a named
    vote also keeps the Ballot (who chose what); a secret vote keeps nothing else — no
    choice, no time, no order linked to the voter. Records ``live.ballot_cast`` (without
    the choice when secret).
    """
    _require_person(actor)
    if choice not in CHOICES:
        raise DomainError(_("Choose agree, against or abstain."), code="bad_choice", field="choice")
    already = DomainError(_("A ballot has already been cast for this seat."), code="already_voted")
    try:
        with transaction.atomic():
            room = _lock_room(meeting, expected_version)
            vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
            if vote.status != Vote.Status.OPEN:
                raise DomainError(
                    _("This vote is closed; ballots can no longer be cast."), code="vote_closed"
                )
            # One read: the actor's attendance, the seat it fills (their own, or the one of
            # the person they replace), whether that seat was invited and has voted already.
            found = (
                Attendance.objects.filter(meeting=meeting, person=actor, status__in=PRESENT)
                .annotate(seat=Coalesce("on_behalf_of_id", "person_id"))
                .annotate(
                    invited=Exists(Rsvp.objects.filter(meeting=meeting, invitee_id=OuterRef("seat"))),
                    voted=Exists(VoteParticipation.objects.filter(vote=vote, seat_id=OuterRef("seat"))),
                )
                .values_list("seat", "invited", "voted")
                .first()
            )
            if found is None:
                raise DomainError(_("Only voters signed in to the meeting may vote."), code="not_present")
            seat, invited, voted = found
            if not invited:
                raise DomainError(_("You are not entitled to vote in this meeting."), code="not_eligible")
            if voted:
                raise already
            VoteParticipation.objects.create(vote=vote, seat_id=seat, voter=actor)
            Vote.objects.filter(pk=vote.pk).update(**{choice: F(choice) + 1})
            # Read under the room's lock: no other ballot can have moved the counter meanwhile.
            setattr(vote, choice, getattr(vote, choice) + 1)
            if not vote.secret:
                Ballot.objects.create(vote=vote, seat_id=seat, voter=actor, choice=choice, cast_at=now)
                record_event(
                    name="live.ballot_cast", actor=actor, subject=vote, now=now, seat=seat, choice=choice
                )
            else:
                record_event(name="live.ballot_cast", actor=actor, subject=vote, now=now, seat=seat)
            _changed(room)
    except IntegrityError:
        # The unique (vote, seat) constraint, should two writers ever pass the checks together.
        raise already from None
    return vote


@_logged
def vote_close(*, meeting: Meeting, vote, actor, now: datetime, expected_version=None) -> Vote:
    """The host closes the vote; the rule copied at opening is applied and the result stored.

    Voters present are counted now (invitees signed in, in person or by delegate).
    Side effects: present_count, passed, result_code, closed_at. Records ``live.vote_closed``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
        vote = Vote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != Vote.Status.OPEN:
            raise DomainError(_("This vote is already closed."), code="vote_closed")
        present = len(present_voter_seats(meeting))
        outcome = decision_rules.decide(
            decision_rules.Counts(
                agree=vote.agree,
                against=vote.against,
                abstain=vote.abstain,
                present=present,
                eligible=vote.eligible_count,
            ),
            method=vote.method,
            min_agree=vote.min_agree,
            quorum_percent=vote.quorum_percent,
        )
        vote.status = Vote.Status.CLOSED
        vote.closed_at = now
        vote.present_count = present
        vote.passed = outcome.passed
        vote.result_code = outcome.code
        vote.save(update_fields=["status", "closed_at", "present_count", "passed", "result_code"])
        record_event(
            name="live.vote_closed",
            actor=actor,
            subject=vote,
            now=now,
            result=outcome.code,
            agree=vote.agree,
            against=vote.against,
            abstain=vote.abstain,
            present=present,
            eligible=vote.eligible_count,
            method=vote.method,
            min_agree=vote.min_agree,
            quorum_percent=vote.quorum_percent,
        )
        _changed(room)
    return vote


@_logged
def vote_to_decision(
    *,
    meeting: Meeting,
    vote,
    actor,
    now: datetime,
    text: str,
    department,
    responsible,
    due_on,
    allocates_resources: bool = False,
    resource_kind: str = "",
    amount=None,
    expected_version=None,
):
    """The host (or recorder) records a passed vote as a decision (决议) of the meeting.

    Through records.services.decision_create (same checks, action item, leadership approval
    for resource decisions); the vote — with its rule, counts and result — is linked to the
    decision (``decision.vote``). Preconditions: the vote is closed and passed and has no
    decision yet. Records ``live.vote_decided``.
    """
    from xietong.records.services import decision_create

    if not (is_host(meeting, actor) or is_recorder(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may record decisions."), code="not_host")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
        vote = Vote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != Vote.Status.CLOSED or not vote.passed:
            raise DomainError(_("Only a vote that passed can become a decision."), code="not_passed")
        if vote.decision_id is not None:
            raise DomainError(_("This vote has already been recorded as a decision."), code="already_decided")
        decision = decision_create(
            meeting=meeting,
            text=text,
            department=department,
            responsible=responsible,
            due_on=due_on,
            actor=actor,
            now=now,
            agenda_item=vote.agenda_item,
            allocates_resources=allocates_resources,
            resource_kind=resource_kind,
            amount=amount,
        )
        vote.decision = decision
        vote.save(update_fields=["decision"])
        record_event(name="live.vote_decided", actor=actor, subject=vote, now=now, decision=decision.pk)
        _changed(room)
    return decision

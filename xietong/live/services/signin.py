"""Sign-in to a live meeting: from the phone (QR code), by the recorder at the desk, through
a personal one-time link; and the guests the host admits."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.text import clean_field
from xietong.meetings.models import Meeting
from xietong.org.models import Person
from xietong.policy.calendar import as_shanghai
from xietong.records.models import Attendance
from xietong.records.services import attendance_signin

from ..models import Guest, Room, SigninLinkUse, _new_token
from .rooms import (
    ERR_NOT_HOST,
    PRESENT,
    _changed,
    _lock_room,
    _logged,
    _require_host,
    _require_not_cancelled,
    _require_person,
    _require_phase,
    is_host,
    is_recorder,
)
from .seats import _choose_seat, seats_for, taken_seats

SIGNIN_SALT = "xietong.live.signin"
MAX_GUEST_NAME = max_length(Guest, "name")
MAX_GUEST_NOTE = max_length(Guest, "note")


def _sign_in(
    meeting: Meeting, room: Room, *, person: Person, on_behalf_of, actor, now: datetime, **how
) -> Attendance:
    """Sign ``person`` in (into records.Attendance) and record ``live.signed_in`` with ``how``
    (e.g. by_recorder=True, via="link"); the caller holds the room's lock. The room accepts it
    in the states of its table's ``signin_self`` (signing in by hand: the same states)."""
    _require_not_cancelled(meeting)
    if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
        raise DomainError(_("Sign-in opens on the day of the meeting."), code="too_early")
    _require_phase(room, "signin_by_recorder" if how.get("by_recorder") else "signin_self")
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
        signing.loads(token, salt=SIGNIN_SALT, max_age=timedelta(seconds=since_notice))
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
    name = clean_field(name, field="name", max_length=MAX_GUEST_NAME, required=True)
    note = clean_field(note, field="note", max_length=MAX_GUEST_NOTE, required=False)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_not_cancelled(meeting)
        if as_shanghai(now).date() < as_shanghai(meeting.starts_at).date():
            raise DomainError(_("Sign-in opens on the day of the meeting."), code="too_early")
        _require_phase(room, "guest_admit")
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

"""Who sits where: the invitees, the seats a person may fill (their own, or of those they
replace), and who is signed in for each."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.meetings.models import Meeting, Rsvp
from xietong.org.models import Delegation, Person
from xietong.policy.calendar import as_shanghai
from xietong.records.models import Attendance

from .rooms import PRESENT

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

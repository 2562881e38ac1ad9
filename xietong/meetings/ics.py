"""iCalendar (RFC 5545 / iTIP RFC 5546) for meeting notices.

One UID per meeting for its whole life; SEQUENCE is the meeting's ics_sequence, raised on
every change sent out and on cancelling, so calendar clients replace the old entry instead
of adding a second one. Times are written with TZID=Asia/Shanghai plus the VTIMEZONE that
icalendar builds from zoneinfo; DTSTAMP is in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from xietong.policy.calendar import as_shanghai

from .hooks import agenda_outline
from .models import Meeting, Rsvp
from .services import coordinator_of_record

PRODID = "-//Xietong//Meetings//ZH"

PARTSTAT = {
    Rsvp.Response.PENDING: "NEEDS-ACTION",
    Rsvp.Response.ATTEND: "ACCEPTED",
    Rsvp.Response.DELEGATE: "DELEGATED",
    Rsvp.Response.ABSENT: "DECLINED",
}
ROLE = {
    Rsvp.InvitedAs.HOST: "CHAIR",
    Rsvp.InvitedAs.LEADERSHIP: "OPT-PARTICIPANT",
}


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    return address


def _description(meeting: Meeting) -> str:
    lines = []
    for n, (title, minutes) in enumerate(agenda_outline.call(meeting), 1):
        lines.append(_("%(n)s. %(title)s — %(minutes)s min") % {"n": n, "title": title, "minutes": minutes})
    if meeting.online_url:
        lines.append(_("Online: %(url)s") % {"url": meeting.online_url})
    if meeting.is_emergency and meeting.emergency_reason:
        lines.append(_("Emergency meeting: %(reason)s") % {"reason": meeting.emergency_reason})
    if meeting.status == Meeting.Status.CANCELLED and meeting.cancelled_reason:
        lines.append(_("Reason: %(reason)s") % {"reason": meeting.cancelled_reason})
    return "\n".join(lines)


def _organizer(meeting: Meeting):
    notice = meeting.notices.select_related("published_by").order_by("-sequence", "-id").first()
    person = notice.published_by if notice is not None and notice.published_by_id else coordinator_of_record()
    if person is not None and person.email:
        return _address(person.email, person.full_name or person.username), notice
    return _address(settings.DEFAULT_FROM_EMAIL, _("Xietong")), notice


def meeting_ics(
    meeting: Meeting, *, for_person=None, cancel: bool = False, stamp: datetime | None = None
) -> bytes:
    """The meeting as an iCalendar object (bytes, CRLF, folded).

    METHOD:REQUEST listing every invitee with an e-mail address (CN, ROLE, PARTSTAT from
    the reply, RSVP=TRUE). A cancelled meeting, or ``cancel=True``, gives METHOD:CANCEL
    with STATUS:CANCELLED; ``cancel=True`` with ``for_person`` on a meeting that goes on
    removes only that attendee (CANCEL to them alone, no STATUS, RFC 5546 §3.2.5).
    DTSTAMP is ``stamp`` or the latest notice's publication time (else now), in UTC.
    """
    cancelled = meeting.status == Meeting.Status.CANCELLED
    removing_one = cancel and for_person is not None and not cancelled
    method = "CANCEL" if (cancel or cancelled) else "REQUEST"

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)

    organizer, notice = _organizer(meeting)
    stamp = stamp or (notice.published_at if notice is not None else None) or timezone.now()

    event = Event()
    event.add("uid", meeting.ics_uid)
    event.add("sequence", meeting.ics_sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", as_shanghai(meeting.starts_at))
    event.add("dtend", as_shanghai(meeting.ends_at))
    event.add("summary", meeting.title)
    if meeting.location:
        event.add("location", meeting.location)
    description = _description(meeting)
    if description:
        event.add("description", description)
    if meeting.online_url:
        event.add("url", meeting.online_url)
    event.add("organizer", organizer)
    if method == "CANCEL" and not removing_one:
        event.add("status", "CANCELLED")
    elif method == "REQUEST":
        event.add("status", "CONFIRMED")

    rsvps = meeting.rsvps.select_related("invitee", "delegate").order_by("id")
    if removing_one:
        rsvps = rsvps.filter(invitee=for_person)
    for rsvp in rsvps:
        person = rsvp.invitee
        if not person.email:
            continue
        attendee = _address(person.email, person.full_name or person.username)
        attendee.params["role"] = ROLE.get(rsvp.invited_as, "REQ-PARTICIPANT")
        attendee.params["partstat"] = PARTSTAT.get(rsvp.response, "NEEDS-ACTION")
        attendee.params["rsvp"] = "TRUE"
        if rsvp.response == Rsvp.Response.DELEGATE and rsvp.delegate_id and rsvp.delegate.email:
            attendee.params["delegated-to"] = f"mailto:{rsvp.delegate.email}"
        event.add("attendee", attendee)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def ics_filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}.ics"

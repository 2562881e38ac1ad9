"""我的待办: the ledger's open duties, the person's topic queues and action items, and their
meeting notices, meetings and unread minutes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import QuerySet

from xietong.actions.selectors import open_page
from xietong.approvals.selectors import approval_links, approvals_to_handle, returned_to
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import HOME_MEETINGS, HOME_RSVPS, _involved, meetings_visible_to
from xietong.minutes.models import Minutes, MinutesReceipt
from xietong.obligations.selectors import open_duty_rows
from xietong.org.permissions import roles_of
from xietong.policy.calendar import SHANGHAI, as_shanghai
from xietong.requests.selectors import awaiting_answer
from xietong.topics.selectors import topic_queues_for

from .duty_links import attach_duty_links

HOME_DUTIES = 50
HOME_ACTIONS = 20
HOME_MINUTES = 20
HOME_APPROVALS = 20
HOME_REQUESTS = 20


def todo_for(person, *, now: datetime) -> dict:
    duties = attach_duty_links(open_duty_rows(person, limit=HOME_DUTIES, now=now))
    # A duty decided on an approval's page (a resource decision's leadership duty) leads there.
    approval_links(duties)
    for duty in duties:
        duty.url = getattr(duty, "link", duty.url)  # type: ignore[attr-defined]  # read by the template
    return {
        "duties": duties,
        "minutes_to_review": list(minutes_to_review(person)[:HOME_MINUTES]),
        "records_to_write": list(records_to_write(person, now=now)[:HOME_MEETINGS]),
        "queues": topic_queues_for(person, now=now),
        "actions": open_page(now=now, owner=person, limit=HOME_ACTIONS).items,
        "rsvps": list(pending_rsvps(person, now=now)[:HOME_RSVPS]),
        "meetings": list(upcoming_meetings(person, now=now)[:HOME_MEETINGS]),
        "new_minutes": list(unread_minutes(person)[:HOME_MINUTES]),
        "to_approve": approvals_to_handle(person, on=as_shanghai(now).date(), limit=HOME_APPROVALS),
        "returned_approvals": returned_to(person, limit=HOME_APPROVALS),
        "requests_to_answer": awaiting_answer(person, on=as_shanghai(now).date(), limit=HOME_REQUESTS),
    }


def pending_rsvps(person, *, now: datetime) -> QuerySet[Rsvp]:
    """Notices ``person`` has not answered, for published meetings still to come, soonest first."""
    return (
        Rsvp.objects.filter(
            invitee=person,
            response=Rsvp.Response.PENDING,
            meeting__status=Meeting.Status.PUBLISHED,
            meeting__starts_at__gt=now,
        )
        .select_related("meeting", "on_behalf_of")
        .only(
            "meeting",
            "meeting__title",
            "meeting__starts_at",
            "on_behalf_of",
            "on_behalf_of__full_name",
            "on_behalf_of__username",
        )
        .order_by("meeting__starts_at", "id")
    )


def upcoming_meetings(person, *, now: datetime) -> QuerySet[Meeting]:
    """Meetings not yet over nor cancelled that ``person`` may open and takes part in (invited,
    named delegate, host or recorder; every one for the coordinator), soonest first."""
    day = as_shanghai(now).date()
    qs = (
        meetings_visible_to(person, on=day)
        .filter(ends_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .only("title", "starts_at", "location", "status")
        .order_by("starts_at", "id")
    )
    if not roles_of(person, on=day).is_coordinator:
        qs = qs.filter(_involved(person))
    return qs


def unread_minutes(person) -> QuerySet[MinutesReceipt]:
    """Minutes delivered to ``person`` and not yet read, newest first (without their text)."""
    return (
        MinutesReceipt.objects.filter(person=person, read_at__isnull=True)
        .select_related("minutes__meeting")
        .only("minutes", "delivered_at", "minutes__number", "minutes__meeting", "minutes__meeting__title")
        .order_by("-delivered_at", "-id")
    )


def minutes_to_review(person) -> QuerySet[Minutes]:
    """Minutes versions the recorder sent to ``person``, the meeting's host, for approval,
    oldest first (without their text)."""
    return (
        Minutes.objects.filter(status=Minutes.Status.IN_REVIEW, meeting__host=person)
        .select_related("meeting")
        .only("number", "submitted_at", "meeting", "meeting__title", "meeting__starts_at")
        .order_by("submitted_at", "id")
    )


def records_to_write(person, *, now: datetime) -> QuerySet[Meeting]:
    """Today's meetings (Shanghai day) ``person`` records whose record is still open (the
    notice is out and the record not yet closed), soonest first."""
    day = as_shanghai(now).date()
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return (
        Meeting.objects.filter(
            recorder=person,
            status=Meeting.Status.PUBLISHED,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        )
        .only("title", "starts_at", "location")
        .order_by("starts_at", "id")
    )

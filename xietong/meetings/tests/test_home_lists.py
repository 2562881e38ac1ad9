"""我的待办's meeting lists, read with written-out SQL in one query (core.selectors.meeting_lists),
give the rows, order and shown values of the ORM filters they stand for, for every persona."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xietong.meetings import selectors, services
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import _involved
from xietong.meetings.tests.factories import MON, THU_1800, published_meeting, sh
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

PERSONAS = [
    "coordinator",
    "host",
    "recorder",
    "chair",
    "tech_head",
    "tech_liaison",
    "tech_deputy",
    "outsider",
]


def _orm_pending(person, now):
    return list(
        Rsvp.objects.filter(
            invitee=person,
            response=Rsvp.Response.PENDING,
            meeting__status=Meeting.Status.PUBLISHED,
            meeting__starts_at__gt=now,
        )
        .select_related("meeting")
        .order_by("meeting__starts_at", "id")[: selectors.HOME_RSVPS]
    )


def _orm_upcoming(person, now):
    qs = (
        Meeting.objects.filter(ends_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
        .order_by("starts_at", "id")
    )
    if not roles_of(person, on=as_shanghai(now).date()).is_coordinator:
        qs = qs.filter(_involved(person))
    return list(qs[: selectors.HOME_MEETINGS])


@pytest.fixture
def world(torg):
    published = published_meeting(torg)
    later = [
        services.meeting_schedule(
            series=torg.series, starts_at=sh(2026, 4, 6, 9, 0) + timedelta(days=7 * i), now=MON
        )
        for i in range(7)
    ]
    Meeting.objects.filter(pk=later[0].pk).update(status=Meeting.Status.CANCELLED, host=torg.outsider)
    Meeting.objects.filter(pk=later[1].pk).update(host=torg.outsider)
    Meeting.objects.filter(pk=later[2].pk).update(recorder=torg.tech_deputy)
    # a reply handed to a delegate, one already answered
    rsvps = list(published.rsvps.order_by("id"))
    Rsvp.objects.filter(pk=rsvps[0].pk).update(delegate=torg.outsider, response=Rsvp.Response.DELEGATE)
    Rsvp.objects.filter(pk=rsvps[1].pk).update(response=Rsvp.Response.ATTEND)
    return torg


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_match_the_orm_filters(world, persona, django_assert_max_num_queries):
    from xietong.core.selectors import meeting_lists

    person = getattr(world, persona)
    for now in (THU_1800, sh(2026, 3, 9, 9, 30), sh(2026, 4, 20, 12, 0), sh(2027, 1, 1, 0, 0)):
        with django_assert_max_num_queries(2):  # the lists (+ roles_of the first time)
            got = meeting_lists(person, now=now)
        assert got["rsvps"] == [
            (r.meeting_id, r.meeting.title, r.meeting.starts_at) for r in _orm_pending(person, now)
        ]
        expected = _orm_upcoming(person, now)
        assert got["meetings"] == [
            (m.pk, m.title, m.starts_at, m.location, m.get_status_display()) for m in expected
        ]
        assert all(m.status != Meeting.Status.CANCELLED for m in expected)


def test_lists_are_not_empty_for_the_people_involved(world):
    from xietong.core.selectors import meeting_lists

    assert meeting_lists(world.tech_head, now=THU_1800)["rsvps"]
    assert meeting_lists(world.outsider, now=MON)["meetings"]  # host of one, delegate of another
    assert meeting_lists(world.tech_deputy, now=MON)["meetings"]  # recorder
    assert len(meeting_lists(world.coordinator, now=MON)["meetings"]) == selectors.HOME_MEETINGS


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_one_read_of_the_home_page_gives_the_three_lists(world, persona, django_assert_num_queries):
    from xietong.core.selectors import meeting_lists
    from xietong.minutes.models import Minutes, MinutesReceipt

    person = getattr(world, persona)
    meeting = Meeting.objects.order_by("starts_at").first()
    for number in (1, 2):
        minutes = Minutes.objects.create(
            meeting=meeting, number=number, body="纪要", status="approved", drafted_at=MON, updated_at=MON
        )
        MinutesReceipt.objects.create(
            minutes=minutes, person=person, delivered_at=MON + timedelta(hours=number), read_at=None
        )
    MinutesReceipt.objects.filter(minutes__number=1, person=person).update(read_at=MON + timedelta(days=1))
    unread = (
        MinutesReceipt.objects.filter(person_id=person.pk, read_at__isnull=True)
        .select_related("minutes__meeting")
        .order_by("-delivered_at", "-id")
    )
    for now in (THU_1800, sh(2026, 3, 9, 9, 30), sh(2026, 4, 20, 12, 0), sh(2027, 1, 1, 0, 0)):
        roles_of(person, on=as_shanghai(now).date())  # read once per request, before the lists
        with django_assert_num_queries(1):
            got = meeting_lists(person, now=now)
        assert got["rsvps"] == [
            (r.meeting_id, r.meeting.title, r.meeting.starts_at) for r in _orm_pending(person, now)
        ]
        assert got["meetings"] == [
            (m.pk, m.title, m.starts_at, m.location, m.get_status_display())
            for m in _orm_upcoming(person, now)
        ]
        assert got["new_minutes"] == [
            (r.minutes_id, r.minutes.meeting.title, r.minutes.number, r.delivered_at) for r in unread
        ]
        assert len(got["new_minutes"]) == 1
    assert any(meeting_lists(getattr(world, p), now=MON)["meetings"] for p in PERSONAS)
    assert meeting_lists(world.tech_head, now=THU_1800)["rsvps"]

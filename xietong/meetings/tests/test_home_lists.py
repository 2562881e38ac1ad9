"""The two 我的待办 lists read with written-out SQL (pending_rsvps_of, upcoming_meetings_for)
give the rows, order and loaded values of the ORM filters they replace, for every persona."""

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
    person = getattr(world, persona)
    for now in (THU_1800, sh(2026, 3, 9, 9, 30), sh(2026, 4, 20, 12, 0), sh(2027, 1, 1, 0, 0)):
        expected_rsvps = _orm_pending(person, now)
        with django_assert_max_num_queries(1):
            got = selectors.pending_rsvps_of(person, now=now)
            shown = [(r.pk, r.meeting_id, r.meeting.title, r.meeting.starts_at, r.response) for r in got]
        assert shown == [
            (r.pk, r.meeting_id, r.meeting.title, r.meeting.starts_at, r.response) for r in expected_rsvps
        ]

        expected = _orm_upcoming(person, now)
        with django_assert_max_num_queries(2):  # the meetings (+ roles_of the first time)
            got = selectors.upcoming_meetings_for(person, now=now)
            shown = [(m.pk, m.title, m.starts_at, m.location, m.status, m.series.name) for m in got]
        assert shown == [(m.pk, m.title, m.starts_at, m.location, m.status, m.series.name) for m in expected]
        assert all(m.status != Meeting.Status.CANCELLED for m in got)


def test_lists_are_not_empty_for_the_people_involved(world):
    assert selectors.pending_rsvps_of(world.tech_head, now=THU_1800)
    assert selectors.upcoming_meetings_for(world.outsider, now=MON)  # host of one, delegate of another
    assert selectors.upcoming_meetings_for(world.tech_deputy, now=MON)  # recorder
    assert len(selectors.upcoming_meetings_for(world.coordinator, now=MON)) == selectors.HOME_MEETINGS
    # deferred fields still load on demand (as with .only())
    rsvp = selectors.pending_rsvps_of(world.tech_head, now=THU_1800)[0]
    assert rsvp.meeting.ends_at > rsvp.meeting.starts_at

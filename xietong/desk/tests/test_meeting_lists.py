"""我的待办's meeting lists: notices waiting for my reply, the meetings I take part in (every one
for the coordinator), and my unread minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xietong.desk.selectors import pending_rsvps, todo_for, unread_minutes, upcoming_meetings
from xietong.meetings import services
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import HOME_MEETINGS
from xietong.meetings.tests.factories import MON, THU_1800, published_meeting, sh
from xietong.minutes import services as minutes_services
from xietong.minutes.models import MinutesReceipt

pytestmark = pytest.mark.django_db

THU_2000 = sh(2026, 3, 5, 20, 0)
AFTER = sh(2026, 3, 9, 11, 0)
LATER = sh(2026, 3, 9, 15, 0)


def _many_meetings(torg, n: int):
    return [
        services.meeting_schedule(
            series=torg.series, starts_at=sh(2026, 4, 6, 9, 0) + timedelta(days=7 * i), now=MON
        )
        for i in range(n)
    ]


def test_notices_waiting_for_my_reply(torg):
    meeting = published_meeting(torg)
    assert [r.meeting.title for r in pending_rsvps(torg.tech_head, now=THU_2000)] == [meeting.title]
    rsvp = meeting.rsvps.get(invitee=torg.tech_head)
    services.rsvp_answer(rsvp=rsvp, response="attend", actor=torg.tech_head, now=THU_2000)
    assert list(pending_rsvps(torg.tech_head, now=THU_2000)) == []
    assert list(pending_rsvps(torg.outsider, now=THU_2000)) == []
    # Once the meeting has begun, its notice is no longer waiting.
    assert list(pending_rsvps(torg.market_head, now=sh(2026, 3, 9, 9, 0))) == []


def test_upcoming_meetings_are_mine_and_every_one_for_the_coordinator(torg):
    meeting = published_meeting(torg)
    later = _many_meetings(torg, 8)
    assert [m.pk for m in upcoming_meetings(torg.tech_head, now=THU_2000)] == [meeting.pk]
    everything = list(upcoming_meetings(torg.coordinator, now=THU_2000)[:HOME_MEETINGS])
    assert len(everything) == HOME_MEETINGS and everything[0].pk == meeting.pk
    assert list(upcoming_meetings(torg.outsider, now=THU_2000)) == []
    assert upcoming_meetings(torg.host, now=THU_2000)[0].pk == meeting.pk
    # Cancelled meetings leave the list; a recorder and a named delegate see theirs.
    Meeting.objects.filter(pk=later[0].pk).update(status=Meeting.Status.CANCELLED)
    Meeting.objects.filter(pk=later[1].pk).update(recorder=torg.tech_deputy)
    assert later[0].pk not in {m.pk for m in upcoming_meetings(torg.coordinator, now=MON)[:20]}
    assert later[1].pk in {m.pk for m in upcoming_meetings(torg.tech_deputy, now=MON)}
    rsvp = meeting.rsvps.order_by("id").first()
    Rsvp.objects.filter(pk=rsvp.pk).update(delegate=torg.outsider, response=Rsvp.Response.DELEGATE)
    assert [m.pk for m in upcoming_meetings(torg.outsider, now=MON)] == [meeting.pk]
    # Once it is over, it leaves the list.
    assert meeting.pk not in {m.pk for m in upcoming_meetings(torg.host, now=sh(2027, 1, 1, 0, 0))}


def test_unread_minutes_newest_first(torg):
    meeting = published_meeting(torg, topics=1)
    m = minutes_services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    m = minutes_services.minutes_submit(minutes=m, actor=torg.recorder, now=AFTER)
    latest = minutes_services.minutes_approve(minutes=m, actor=torg.host, now=AFTER)
    latest = minutes_services.minutes_correct(minutes=latest, reason="更正", actor=torg.recorder, now=LATER)
    latest = minutes_services.minutes_submit(minutes=latest, actor=torg.recorder, now=LATER)
    latest = minutes_services.minutes_approve(minutes=latest, actor=torg.host, now=LATER)
    found = list(unread_minutes(torg.chair))
    assert [r.minutes.number for r in found] == [2, 1]
    assert all(r.minutes.meeting.title == meeting.title for r in found)
    MinutesReceipt.objects.filter(pk=found[0].pk).update(read_at=LATER)
    assert [r.minutes.number for r in unread_minutes(torg.chair)] == [1]
    assert list(unread_minutes(torg.outsider)) == []


@pytest.mark.parametrize("persona", ["coordinator", "tech_head", "host", "outsider"])
def test_the_home_lists_cost_the_same_however_many_meetings(
    torg, persona, django_assert_num_queries, django_assert_max_num_queries
):
    person = getattr(torg, persona)
    published_meeting(torg)
    todo_for(person, now=THU_1800)  # roles are read once per request, before the lists
    with django_assert_max_num_queries(15) as few:
        todo_for(person, now=THU_1800)
    _many_meetings(torg, 12)
    with django_assert_num_queries(len(few.captured_queries)):
        todo_for(person, now=THU_1800)

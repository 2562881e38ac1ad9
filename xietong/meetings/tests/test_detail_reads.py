"""What the meeting page reads of a meeting: its replies in page order, its duties, its newest
notice and whether a person may open it, each in a fixed number of queries."""

from __future__ import annotations

import time_machine

from xietong.desk.testing import make_person
from xietong.meetings import selectors, services
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.tests.factories import THU_1800, policy_version_with, published_meeting


def test_meeting_page_with_replies_keeps_its_query_count(torg, login, django_assert_max_num_queries):
    meeting = published_meeting(torg, topics=2)
    client = login(torg.coordinator)
    # session, user, roles, meeting (+ agenda), agenda items, replies, duties, latest notice, and
    # for the coordinator, who may move the meeting, the business calendar (is it a day off?)
    with time_machine.travel(THU_1800, tick=False), django_assert_max_num_queries(9):
        response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("data-rsvp=") == meeting.rsvps.count()
    assert str(torg.tech_head) in page


def test_replies_come_by_department_then_name_with_who_and_where(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=1)
    first = meeting.rsvps.order_by("id").first()
    Rsvp.objects.filter(pk=first.pk).update(
        response=Rsvp.Response.DELEGATE, delegate=torg.tech_deputy, reason="出差"
    )
    with django_assert_num_queries(1):
        shown = [
            (
                r.department.sort_order if r.department else None,
                r.invitee.full_name,
                str(r.delegate) if r.delegate else None,
            )
            for r in selectors.meeting_replies(meeting)
        ]
    assert len(shown) == meeting.rsvps.count() >= 4
    assert shown == sorted(shown, key=lambda s: (s[0] is None, s[0] or 0, s[1]))
    assert str(torg.tech_deputy) in {s[2] for s in shown}
    counts = selectors.rsvp_counts(selectors.meeting_replies(meeting))
    assert counts["delegate"] == 1 and counts["pending"] == len(shown) - 1


def test_duties_and_the_newest_notice(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=1)
    services.meeting_reschedule(  # a second notice: the newest one is shown
        meeting=meeting,
        starts_at=meeting.starts_at,
        location="二楼会议室",
        actor=torg.coordinator,
        now=THU_1800,
    )
    with django_assert_num_queries(1):
        duties = [
            (d.kind, d.due_at, str(d.responsible) if d.responsible else None)
            for d in selectors.meeting_obligations(meeting)
        ]
    assert duties == sorted(duties, key=lambda d: (d[0], d[1]))
    assert str(torg.tech_head) in {d[2] for d in duties}
    with django_assert_num_queries(1):
        notice = selectors.latest_notice(meeting)
    assert meeting.notices.count() == 2
    assert notice.pk == meeting.notices.order_by("id").last().pk and "二楼会议室" in notice.body
    bare = Meeting.objects.create(
        policy_version=meeting.policy_version,
        title="无通知",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    assert selectors.latest_notice(bare) is None and list(selectors.meeting_obligations(bare)) == []


def test_the_page_shows_the_cap_of_the_meetings_own_regulation(torg, login):
    meeting = published_meeting(torg, topics=1)
    client = login(torg.coordinator)
    client.cookies["django_language"] = "en"
    with time_machine.travel(THU_1800, tick=False):
        before = client.get(f"/meetings/{meeting.pk}/").content.decode()
        other = policy_version_with(torg.policy, "seed01-weekly", meeting_duration_cap={"minutes": 75})
        Meeting.objects.filter(pk=meeting.pk).update(policy_version=other)
        after = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "cap 90 min" in before and "cap 75 min" in after


def test_may_open_meeting_costs_role_holders_nothing_and_others_one_query(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=1)
    guest = make_person("guest_invitee", "客人甲", torg.departments["tech"])
    Rsvp.objects.filter(pk=meeting.rsvps.order_by("id").first().pk).update(invitee=guest)
    nobody = make_person("guest_nobody", "客人戊", None)
    for person in (torg.coordinator, guest, nobody):
        selectors.sees_all_meetings(person)  # the person's roles, read once per request
    with django_assert_num_queries(0):
        assert selectors.may_open_meeting(torg.coordinator, meeting.pk)
    with django_assert_num_queries(1):
        assert selectors.may_open_meeting(guest, meeting.pk)
    with django_assert_num_queries(1):
        assert not selectors.may_open_meeting(nobody, meeting.pk)

from __future__ import annotations

from datetime import timedelta

import time_machine
import vobject
from ical.calendar_stream import IcsCalendarStream

from xietong.meetings import services
from xietong.meetings.ics import meeting_ics
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh

THU_2000 = sh(2026, 3, 5, 20, 0)


def _both(data: bytes):
    text = data.decode("utf-8")
    return IcsCalendarStream.calendar_from_ics(text), vobject.readOne(text)


def test_request_round_trips_in_two_parsers(torg):
    meeting = published_meeting(torg)
    services.rsvp_answer(
        rsvp=meeting.rsvps.get(invitee=torg.market_head),
        response="attend",
        actor=torg.market_head,
        now=THU_2000,
    )
    services.rsvp_answer(
        rsvp=meeting.rsvps.get(invitee=torg.finance_head),
        response="absent",
        reason="出差",
        actor=torg.finance_head,
        now=THU_2000,
    )
    data = meeting_ics(meeting)
    assert b"\r\n" in data
    assert b"TZID=Asia/Shanghai" in data and b"BEGIN:VTIMEZONE" in data

    cal, vcal = _both(data)
    assert cal.method == "REQUEST"
    [event] = cal.events
    assert event.uid == meeting.ics_uid
    assert event.sequence == 0
    assert event.dtstart.isoformat() == "2026-03-09T09:00:00+08:00"
    assert event.dtend.isoformat() == "2026-03-09T10:30:00+08:00"
    assert event.dtstamp.utcoffset() == timedelta(0)
    assert event.summary == meeting.title
    assert event.location == "三楼会议室"
    assert "议题1" in event.description and "15" in event.description
    assert event.organizer.uri == "mailto:coord@example.cn" and event.organizer.common_name == "钱主任"
    by_mail = {a.uri: a for a in event.attendees}
    assert len(by_mail) == meeting.rsvps.count()
    assert by_mail["mailto:market_head@example.cn"].status == "ACCEPTED"
    assert by_mail["mailto:finance_head@example.cn"].status == "DECLINED"
    assert by_mail["mailto:tech_head@example.cn"].status == "NEEDS-ACTION"
    assert by_mail["mailto:tech_head@example.cn"].rsvp is True
    assert by_mail["mailto:host@example.cn"].role == "CHAIR"
    assert by_mail["mailto:tech_head@example.cn"].common_name == "周技术"
    assert "mailto:outsider@example.cn" not in by_mail

    assert vcal.method.value == "REQUEST"
    vevent = vcal.vevent
    assert vevent.uid.value == meeting.ics_uid
    assert int(vevent.sequence.value) == 0
    assert vevent.dtstart.value.isoformat() == "2026-03-09T09:00:00+08:00"
    assert len(vevent.contents["attendee"]) == meeting.rsvps.count()


def test_reschedule_raises_the_sequence_and_keeps_the_uid(torg):
    meeting = published_meeting(torg)
    uid = meeting.ics_uid
    services.meeting_reschedule(
        meeting=meeting,
        starts_at=sh(2026, 3, 10, 9, 0),
        location="五楼",
        actor=torg.coordinator,
        now=THU_2000,
    )
    meeting.refresh_from_db()
    cal, vcal = _both(meeting_ics(meeting))
    [event] = cal.events
    assert event.uid == uid and event.sequence == 1
    assert event.dtstart.isoformat() == "2026-03-10T09:00:00+08:00"
    assert event.location == "五楼"
    assert vcal.vevent.uid.value == uid
    assert int(vcal.vevent.sequence.value) == 1


def test_cancel_gives_method_cancel(torg):
    meeting = published_meeting(torg)
    services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    meeting.refresh_from_db()
    cal, vcal = _both(meeting_ics(meeting))
    assert cal.method == "CANCEL"
    [event] = cal.events
    assert event.uid == meeting.ics_uid and event.sequence == 1
    assert event.status == "CANCELLED"
    assert vcal.method.value == "CANCEL"
    assert vcal.vevent.status.value == "CANCELLED"
    assert int(vcal.vevent.sequence.value) == 1


def test_removing_one_attendee_sends_cancel_without_status(torg):
    meeting = published_meeting(torg)
    cal, vcal = _both(meeting_ics(meeting, for_person=torg.finance_head, cancel=True))
    assert cal.method == "CANCEL"
    [event] = cal.events
    assert event.status is None
    assert [a.uri for a in event.attendees] == ["mailto:finance_head@example.cn"]
    assert "status" not in vcal.vevent.contents


def test_ics_download_view(torg, login):
    meeting = published_meeting(torg)
    client = login(torg.tech_head)
    with time_machine.travel(THU_2000, tick=False):
        response = client.get(f"/meetings/{meeting.pk}/meeting.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "method=REQUEST" in response["Content-Type"]
    cal, _v = _both(response.content)
    assert cal.events[0].uid == meeting.ics_uid
    # DTSTAMP is the notice's publication time, in UTC.
    assert cal.events[0].dtstamp == THU_1800


def test_ics_download_hidden_from_outsiders(torg, login):
    meeting = published_meeting(torg)
    with time_machine.travel(THU_2000, tick=False):
        assert login(torg.outsider).get(f"/meetings/{meeting.pk}/meeting.ics").status_code == 404

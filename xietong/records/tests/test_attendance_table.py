"""The recorder marks attendance for the whole meeting on one table: a row per invitee,
pre-filled from the live sign-in and the replies, saved all or nothing; a reply to attend is
no proof of presence. The minutes list every invitee's status."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.desk.testing import build_test_org, make_person
from xietong.live import services as live_services
from xietong.meetings import services as meeting_services
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import THU_1600, confirmed_meeting, sh
from xietong.minutes.services import minutes_body_from_record
from xietong.records.models import Attendance
from xietong.records.tests.test_views import RECORD_PAGE_QUERIES

FRI = sh(2026, 3, 6, 10, 0)
EARLY = sh(2026, 3, 9, 8, 50)
LATE = sh(2026, 3, 9, 9, 5)
DURING = sh(2026, 3, 9, 9, 40)
# The record page of one meeting, whatever its number of invitees.
PAGE_QUERIES = RECORD_PAGE_QUERIES


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param)


def _publish(org):
    meeting = confirmed_meeting(org, topics=1)
    meeting_services.meeting_publish(meeting=meeting, actor=org.coordinator, now=THU_1600)
    meeting.refresh_from_db()
    return meeting


def _answer(meeting, person, response, **fields):
    rsvp = Rsvp.objects.get(meeting=meeting, invitee=person)
    meeting_services.rsvp_answer(rsvp=rsvp, response=response, actor=person, now=FRI, **fields)


@pytest.fixture
def week(org):
    """The 03-09 meeting: 周技术 signed in on time, 王市场 late; 陈财务 replied absent (出差);
    吴联络 replied 参加 and never signed in; 冯联络 named 卫路人 as delegate."""
    meeting = _publish(org)
    _answer(meeting, org.finance_head, Rsvp.Response.ABSENT, reason="出差")
    _answer(meeting, org.tech_liaison, Rsvp.Response.ATTEND)
    _answer(meeting, org.market_liaison, Rsvp.Response.DELEGATE, delegate=org.outsider)
    live_services.signin_self(meeting=meeting, actor=org.tech_head, now=EARLY)
    live_services.signin_self(meeting=meeting, actor=org.market_head, now=LATE)
    return meeting


def _row(page: str, person) -> str:
    return page.split(f'data-person="{person.pk}"')[1].split("</tr>")[0]


def _selected(row: str, field: str) -> str:
    select = re.search(rf'<select name="a\d+-{field}"[^>]*>(.*?)</select>', row, re.S)
    assert select, field
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return chosen.group(1) if chosen else ""


def _page(login, person, meeting) -> str:
    with time_machine.travel(DURING, tick=False):
        response = login(person).get(f"/records/meeting/{meeting.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _post(login, org, meeting, rows: dict):
    data = {f"a{person.pk}-{k}": v for person, fields in rows.items() for k, v in fields.items()}
    with time_machine.travel(DURING, tick=False):
        return login(org.recorder).post(f"/records/meeting/{meeting.pk}/attendance/", data)


def _recorded(meeting) -> dict:
    return {
        a.person.username: (a.status, a.reason, a.on_behalf_of_id)
        for a in Attendance.objects.filter(meeting=meeting).select_related("person")
    }


def test_the_table_is_prefilled_from_sign_in_and_replies(org, week, login):
    page = _page(login, org.recorder, week)
    assert page.count('id="attendance-form"') == 1  # one form for the whole table
    assert _selected(_row(page, org.tech_head), "status") == "present"
    assert _selected(_row(page, org.market_head), "status") == "late"
    finance = _row(page, org.finance_head)
    assert _selected(finance, "status") == "absent"
    assert 'value="出差"' in finance
    # Replied 参加, never signed in: not silently present.
    liaison = _row(page, org.tech_liaison)
    assert "data-unconfirmed" in liaison
    assert _selected(liaison, "status") == ""
    assert 'data-attendance="unconfirmed">未确认<' in liaison
    # The named delegate is offered, the choice is the recorder's.
    market = _row(page, org.market_liaison)
    assert _selected(market, "delegate") == str(org.outsider.pk)
    assert _selected(market, "status") == ""
    # Looking at the table records nothing.
    assert set(_recorded(week)) == {"tech_head", "market_head"}


def test_saving_is_all_or_nothing_with_each_rows_error_beside_it(org, week, login):
    before = _recorded(week)
    response = _post(
        login,
        org,
        week,
        {
            org.tech_liaison: {"status": "present"},
            org.finance_head: {"status": "absent", "reason": ""},
            org.market_liaison: {"status": "delegate", "delegate": ""},
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="attendance-error"' in page
    assert 'data-field="reason"' in _row(page, org.finance_head)
    assert 'data-field="delegate"' in _row(page, org.market_liaison)
    assert "data-field" not in _row(page, org.tech_liaison)
    # The recorder's choices stay on the page to be corrected.
    assert _selected(_row(page, org.tech_liaison), "status") == "present"
    assert _recorded(week) == before
    response = _post(
        login,
        org,
        week,
        {
            org.tech_liaison: {"status": "present"},
            org.finance_head: {"status": "absent", "reason": "出差"},
            org.market_liaison: {"status": "delegate", "delegate": org.outsider.pk},
        },
    )
    assert response.status_code == 302
    recorded = _recorded(week)
    assert recorded["tech_liaison"] == ("present", "", None)
    assert recorded["finance_head"] == ("absent", "出差", None)
    assert recorded["outsider"] == ("present", "", org.market_liaison.pk)


def test_lateness_comes_from_the_sign_in_or_the_recorders_choice(org, week, login):
    response = _post(
        login,
        org,
        week,
        {
            org.market_head: {"status": "present"},  # signed in at 09:05: stays late
            org.tech_liaison: {"status": "present"},  # typed at 09:40, no sign-in: present
            org.coordinator: {"status": "late"},  # the recorder's explicit choice
        },
    )
    assert response.status_code == 302
    recorded = _recorded(week)
    assert recorded["market_head"][0] == Attendance.Status.LATE
    assert recorded["tech_liaison"][0] == Attendance.Status.PRESENT
    assert recorded["coord"][0] == Attendance.Status.LATE


def test_a_delegate_takes_the_seat_and_nobody_is_recorded_twice(org, week, login):
    response = _post(
        login, org, week, {org.tech_head: {"status": "delegate", "delegate": org.tech_deputy.pk}}
    )
    assert response.status_code == 302
    recorded = _recorded(week)
    assert "tech_head" not in recorded  # the seat has one attendance: the deputy's
    assert recorded["tech_deputy"] == ("present", "", org.tech_head.pk)
    before = _recorded(week)
    response = _post(
        login,
        org,
        week,
        {
            org.tech_liaison: {"status": "present"},
            org.tech_head: {"status": "delegate", "delegate": org.tech_liaison.pk},
        },
    )
    assert response.status_code == 400
    assert "已在另一行登记" in _row(response.content.decode(), org.tech_head)
    assert _recorded(week) == before


def test_the_minutes_list_every_invitees_status(org, week, login):
    response = _post(
        login,
        org,
        week,
        {
            org.tech_head: {"status": "present"},
            org.market_head: {"status": "late"},
            org.finance_head: {"status": "absent", "reason": "出差"},
            org.market_liaison: {"status": "delegate", "delegate": org.outsider.pk},
        },
    )
    assert response.status_code == 302
    lines = {
        line.split("：")[0]: line for line in minutes_body_from_record(week).splitlines() if "：" in line
    }
    assert "周技术" in lines["出席人员"]
    assert "王市场（迟到）" in lines["出席人员"]
    assert "卫路人（代冯联络）" in lines["出席人员"]
    assert lines["缺席人员"] == "缺席人员：陈财务（出差）"
    # Nobody chose for them: the minutes say so, they are not counted present.
    unconfirmed = lines["出席情况未确认"]
    for person in (org.tech_liaison, org.coordinator, org.host, org.recorder):
        assert person.full_name in unconfirmed
        assert person.full_name not in lines["出席人员"]


def _invite_up_to(torg, meeting, count: int) -> None:
    """``count`` invitees in all (the extra invitations removed, or bulk guests added), every
    third of them signed in (on time or late)."""
    rsvps = list(Rsvp.objects.filter(meeting=meeting).order_by("id"))
    if count < len(rsvps):
        Rsvp.objects.filter(pk__in=[r.pk for r in rsvps[count:]]).delete()
    for n in range(len(rsvps), count):
        guest = make_person(f"guest{n}", f"来宾{n:02d}", torg.departments["tech"])
        Rsvp.objects.create(meeting=meeting, invitee=guest, invited_as=Rsvp.InvitedAs.GUEST)
    signed = set(Attendance.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    for k, rsvp in enumerate(Rsvp.objects.filter(meeting=meeting).select_related("invitee").order_by("id")):
        if k % 3 == 0 and rsvp.invitee_id not in signed:
            live_services.signin_self(meeting=meeting, actor=rsvp.invitee, now=EARLY if k % 2 else LATE)


def test_the_table_reads_as_many_queries_for_40_invitees_as_for_5(torg, login, django_assert_num_queries):
    meeting = _publish(torg)
    client = login(torg.recorder)
    counts = []
    for count in (5, 40):
        _invite_up_to(torg, meeting, count)
        with time_machine.travel(DURING, tick=False), CaptureQueriesContext(connection) as queries:
            page = client.get(f"/records/meeting/{meeting.pk}/").content.decode()
        assert page.count("<tr data-person=") == count
        assert page.count('name="a') >= 3 * count  # status, reason and delegate per row
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with time_machine.travel(DURING, tick=False), django_assert_num_queries(PAGE_QUERIES):
        client.get(f"/records/meeting/{meeting.pk}/")

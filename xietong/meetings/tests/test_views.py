from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.agenda.models import Agenda, AgendaItem
from xietong.core.models import Event
from xietong.meetings import selectors, services
from xietong.meetings.models import Meeting, Notice, Rsvp
from xietong.meetings.tests.factories import (
    MON,
    THU_1600,
    THU_1800,
    confirmed_meeting,
    make_topic,
    next_meeting,
    published_meeting,
    sh,
)
from xietong.topics.models import Topic

OUTSIDERS = ["tech_head", "tech_liaison", "outsider", "host"]
THU_2000 = sh(2026, 3, 5, 20, 0)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _many_meetings(torg, n: int, *, start=None):
    start = start or sh(2026, 4, 6, 9, 0)
    for i in range(n):
        services.meeting_schedule(series=torg.series, starts_at=start + timedelta(days=7 * i), now=MON)


# ---- list ---------------------------------------------------------------------------------


def test_list_for_the_coordinator(torg, login):
    meeting = next_meeting(torg)
    client = _english(login(torg.coordinator))
    with time_machine.travel(MON, tick=False):
        response = client.get("/meetings/")
    assert response.status_code == 200
    page = response.content.decode()
    assert meeting.title in page
    assert f"/meetings/series/{torg.series.pk}/next/" in page
    assert 'action="/meetings/emergency/"' in page


def test_list_for_others_has_no_coordinator_tools(torg, login):
    next_meeting(torg)
    client = _english(login(torg.tech_head))
    with time_machine.travel(MON, tick=False):
        page = client.get("/meetings/").content.decode()
    assert "/next/" not in page and "/meetings/emergency/" not in page


def test_outsider_sees_only_meetings_they_are_invited_to(torg, login):
    planned = next_meeting(torg)
    client = login(torg.outsider)
    with time_machine.travel(MON, tick=False):
        page = client.get("/meetings/").content.decode()
        assert planned.title not in page
        assert client.get(f"/meetings/{planned.pk}/").status_code == 404


def test_list_paginates_by_key(torg, login):
    import re

    _many_meetings(torg, selectors.PAGE_SIZE + 5)
    titles = list(Meeting.objects.order_by("starts_at").values_list("title", flat=True))
    client = login(torg.coordinator)
    with time_machine.travel(MON, tick=False):
        first = client.get("/meetings/").content.decode()
        assert titles[selectors.PAGE_SIZE - 1] in first and titles[selectors.PAGE_SIZE] not in first
        cursor = re.search(r'href="\?after=([0-9_]+)"', first).group(1)
        second = client.get(f"/meetings/?after={cursor}").content.decode()
        assert client.get("/meetings/?after=garbage").status_code == 200
    assert titles[selectors.PAGE_SIZE] in second and titles[-1] in second
    assert titles[selectors.PAGE_SIZE - 1] not in second
    assert 'href="?after=' not in second


def test_list_query_count_is_pinned_and_does_not_grow(torg, login):
    _many_meetings(torg, 3)
    published_meeting(torg)  # past meetings appear under "recent" once over
    client = login(torg.coordinator)
    at = sh(2026, 4, 14, 12, 0)  # one meeting over, the others upcoming
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as few:
        assert client.get("/meetings/").status_code == 200
    _many_meetings(torg, 15, start=sh(2026, 7, 6, 9, 0))
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as many:
        assert client.get("/meetings/").status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 8


def test_list_query_count_pinned_for_an_invitee(torg, login, django_assert_max_num_queries):
    published_meeting(torg)
    client = login(torg.outsider)
    with time_machine.travel(THU_2000, tick=False), django_assert_max_num_queries(6):
        assert client.get("/meetings/").status_code == 200


# ---- detail, notice, builder --------------------------------------------------------------


def test_detail_page(torg, login):
    meeting = published_meeting(torg)
    client = _english(login(torg.coordinator))
    with time_machine.travel(THU_2000, tick=False):
        response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "议题1" in page and "三楼会议室" in page and "孙主持" in page and "李记录" in page
    assert f"/agenda/meeting/{meeting.pk}/" in page
    assert f"/meetings/{meeting.pk}/meeting.ics" in page
    assert f"/meetings/{meeting.pk}/notice/" in page
    assert "第五条(三)3" in page  # the reply duties with their clause
    assert "周技术" in page  # invitees


def test_detail_query_count_does_not_grow_with_invitees(torg, login):
    meeting = published_meeting(torg)
    client = login(torg.coordinator)
    with time_machine.travel(THU_2000, tick=False), CaptureQueriesContext(connection) as before:
        client.get(f"/meetings/{meeting.pk}/")
    from xietong.desk.testing import make_person
    from xietong.org.models import Role

    for i in range(5):
        person = make_person(f"extra{i}", f"额外{i}", torg.departments["finance"], Role.LIAISON)
        rsvp = Rsvp.objects.create(meeting=meeting, invitee=person, invited_as=Rsvp.InvitedAs.GUEST)
        services._open_rsvp_duty(
            meeting,
            rsvp,
            rule="absence_notice_lead",
            due=services.rsvp_due(meeting, now=THU_1800)[1],
            now=THU_1800,
        )
    with time_machine.travel(THU_2000, tick=False), CaptureQueriesContext(connection) as after:
        client.get(f"/meetings/{meeting.pk}/")
    assert len(after) == len(before)


def test_builder_page(torg, login):
    meeting = next_meeting(torg)
    make_topic(torg, meeting, title="大议题", budget=85)
    make_topic(torg, meeting, title="小议题", budget=10, priority=1)
    client = _english(login(torg.coordinator))
    with time_machine.travel(THU_1600, tick=False):
        assert client.get(f"/agenda/meeting/{meeting.pk}/").status_code == 200
        assert client.post(f"/agenda/meeting/{meeting.pk}/build/").status_code == 302
        page = client.get(f"/agenda/meeting/{meeting.pk}/").content.decode()
    assert "小议题" in page
    big = Topic.objects.get(title="大议题")
    assert big.deferral_reason and big.deferral_reason in page  # the deferred topic with its reason
    assert "第五条(二)2" in page
    assert "2026-03-06 17:00" in page  # notice deadline shown


def test_builder_refuses_budget_over_cap_with_a_field_error(torg, login):
    meeting = next_meeting(torg)
    make_topic(torg, meeting, budget=30)
    client = _english(login(torg.coordinator))
    with time_machine.travel(THU_1600, tick=False):
        client.post(f"/agenda/meeting/{meeting.pk}/build/")
        item = AgendaItem.objects.get(agenda__meeting=meeting, kind="topic")
        response = client.post(f"/agenda/item/{item.pk}/budget/", {"budget_minutes": 81, "edit_version": 1})
        assert response.status_code == 400
        assert "capped at 90 minutes (第五条(二)2)" in response.content.decode()
        htmx = client.post(
            f"/agenda/item/{item.pk}/budget/",
            {"budget_minutes": 40, "edit_version": 1},
            headers={"HX-Request": "true"},
        )
    assert htmx.status_code == 200
    assert 'id="agenda-items"' in htmx.content.decode() and "<html" not in htmx.content.decode()
    item.refresh_from_db()
    assert item.budget_minutes == 40


def test_a_stale_budget_is_refused_with_409_and_keeps_both_values(torg, login):
    meeting = next_meeting(torg)
    make_topic(torg, meeting, budget=30)
    first, second = _english(login(torg.coordinator)), _english(login(torg.coordinator))
    with time_machine.travel(THU_1600, tick=False):
        first.post(f"/agenda/meeting/{meeting.pk}/build/")
        item = AgendaItem.objects.get(agenda__meeting=meeting, kind="topic")
        url = f"/agenda/item/{item.pk}/budget/"
        assert (
            'name="edit_version" value="1"' in second.get(f"/agenda/meeting/{meeting.pk}/").content.decode()
        )
        assert first.post(url, {"budget_minutes": 25, "edit_version": 1}).status_code == 302
        before = _snapshot(meeting)
        response = second.post(url, {"budget_minutes": 45, "edit_version": 1})
        htmx = second.post(url, {"budget_minutes": 45, "edit_version": 1}, headers={"HX-Request": "true"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this since you opened it, so nothing was saved." in page
    assert "You entered 45 minutes." in page and 'name="budget_minutes" value="25"' in page
    assert 'name="edit_version" value="2"' in page
    assert "You entered 45 minutes." in htmx.content.decode()  # the fragment swaps in (htmx ignores 4xx)
    assert _snapshot(meeting) == before
    item.refresh_from_db()
    assert (item.budget_minutes, item.edit_version) == (25, 2)


def test_publish_page_refuses_after_the_deadline_then_allows_emergency(torg, login):
    meeting = confirmed_meeting(torg)
    client = _english(login(torg.coordinator))
    late = sh(2026, 3, 6, 18, 0)
    with time_machine.travel(late, tick=False):
        refused = client.post(f"/agenda/meeting/{meeting.pk}/publish/", {})
        assert refused.status_code == 400
        assert "Too late for the notice" in refused.content.decode()
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.PLANNED
        no_reason = client.post(f"/agenda/meeting/{meeting.pk}/publish/", {"emergency": "on"})
        assert no_reason.status_code == 400
        assert 'data-field="emergency_reason"' in no_reason.content.decode()
        ok = client.post(
            f"/agenda/meeting/{meeting.pk}/publish/", {"emergency": "on", "emergency_reason": "突发故障"}
        )
    assert ok.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED and meeting.is_emergency


def test_publish_page_warns_over_the_attendee_cap(torg, login):
    from xietong.meetings.tests.factories import policy_version_with

    version = policy_version_with(
        torg.policy,
        "seed01-weekly",
        attendee_cap={"clause": "《跨部门业务协调会议的标准流程与措施》二、(一)2", "note": "", "count": 3},
    )
    meeting = next_meeting(torg)
    meeting.policy_version = version
    meeting.save()
    client = _english(login(torg.coordinator))
    with time_machine.travel(THU_1600, tick=False):
        page = client.get(f"/agenda/meeting/{meeting.pk}/").content.decode()
    assert 'id="attendee-cap-warning"' in page and "二、(一)2" in page


def test_notice_page_for_a_planned_meeting_is_404(torg, login):
    meeting = next_meeting(torg)
    with time_machine.travel(MON, tick=False):
        assert login(torg.coordinator).get(f"/meetings/{meeting.pk}/notice/").status_code == 404


def test_notice_page_marks_it_read(torg, login):
    meeting = published_meeting(torg)
    with time_machine.travel(THU_2000, tick=False):
        assert login(torg.tech_head).get(f"/meetings/{meeting.pk}/notice/").status_code == 200
    assert meeting.rsvps.get(invitee=torg.tech_head).read_at == THU_2000


@pytest.mark.parametrize("who", OUTSIDERS)
def test_builder_is_for_the_coordinator(torg, login, who):
    meeting = next_meeting(torg)
    with time_machine.travel(MON, tick=False):
        assert login(getattr(torg, who)).get(f"/agenda/meeting/{meeting.pk}/").status_code == 403


# ---- permission matrix of every mutating view ----------------------------------------------


def _snapshot(meeting):
    meeting.refresh_from_db()
    agenda = Agenda.objects.filter(meeting=meeting).first()
    return (
        Event.objects.count(),
        Meeting.objects.count(),
        Notice.objects.count(),
        meeting.status,
        meeting.ics_sequence,
        agenda.status if agenda else None,
        list(AgendaItem.objects.order_by("id").values_list("id", "position", "budget_minutes")),
    )


def _planned(torg):
    meeting = next_meeting(torg)
    make_topic(torg, meeting, title="A", priority=1)
    make_topic(torg, meeting, title="B", priority=2)
    services_agenda().agenda_build(meeting=meeting, actor=torg.coordinator, now=MON)
    return meeting


def services_agenda():
    from xietong.agenda import services as agenda_services

    return agenda_services


def _confirmed(torg):
    meeting = _planned(torg)
    services_agenda().agenda_confirm(agenda=meeting.agenda, actor=torg.coordinator, now=MON)
    return meeting


def _second_item(meeting):
    return AgendaItem.objects.get(agenda__meeting=meeting, position=2)


CASES = {
    "schedule_next": (_planned, lambda m, t: (f"/meetings/series/{t.series.pk}/next/", {})),
    "emergency": (
        _planned,
        lambda m, t: (
            "/meetings/emergency/",
            {
                "series": t.series.pk,
                "title": "紧急会",
                "starts_at": "2026-03-04T15:00",
                "duration_minutes": 30,
                "location": "",
                "reason": "紧急",
            },
        ),
    ),
    "reschedule": (
        _planned,
        lambda m, t: (f"/meetings/{m.pk}/reschedule/", {"starts_at": "2026-03-10T09:00"}),
    ),
    "cancel": (_planned, lambda m, t: (f"/meetings/{m.pk}/cancel/", {"reason": "取消"})),
    "build": (_planned, lambda m, t: (f"/agenda/meeting/{m.pk}/build/", {})),
    "move": (_planned, lambda m, t: (f"/agenda/item/{_second_item(m).pk}/move/", {"direction": "up"})),
    "budget": (
        _planned,
        lambda m, t: (
            f"/agenda/item/{_second_item(m).pk}/budget/",
            {"budget_minutes": 20, "edit_version": 1},
        ),
    ),
    "remove": (_planned, lambda m, t: (f"/agenda/item/{_second_item(m).pk}/remove/", {"reason": "下周再议"})),
    "confirm": (_planned, lambda m, t: (f"/agenda/meeting/{m.pk}/confirm/", {})),
    "reopen": (_confirmed, lambda m, t: (f"/agenda/meeting/{m.pk}/reopen/", {})),
    "publish": (_confirmed, lambda m, t: (f"/agenda/meeting/{m.pk}/publish/", {})),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("who", OUTSIDERS)
def test_mutating_views_forbid_everyone_but_the_coordinator(torg, login, case, who):
    setup, request = CASES[case]
    meeting = setup(torg)
    url, data = request(meeting, torg)
    before = _snapshot(meeting)
    with time_machine.travel(MON, tick=False):
        response = login(getattr(torg, who)).post(url, data)
    assert response.status_code == 403
    assert _snapshot(meeting) == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_mutating_views_work_for_the_coordinator(torg, login, case):
    setup, request = CASES[case]
    meeting = setup(torg)
    url, data = request(meeting, torg)
    before = _snapshot(meeting)
    with time_machine.travel(MON, tick=False):
        response = login(torg.coordinator).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _snapshot(meeting) != before


@pytest.mark.parametrize("case", sorted(CASES))
def test_mutating_views_refuse_get(torg, login, case):
    setup, request = CASES[case]
    meeting = setup(torg)
    url, _data = request(meeting, torg)
    with time_machine.travel(MON, tick=False):
        assert login(torg.coordinator).get(url).status_code == 405


def test_emergency_form_errors_are_field_errors(torg, login):
    client = _english(login(torg.coordinator))
    with time_machine.travel(MON, tick=False):
        response = client.post(
            "/meetings/emergency/",
            {
                "series": torg.series.pk,
                "title": "紧急会",
                "starts_at": "2026-03-04T15:00",
                "duration_minutes": 120,
                "reason": "紧急",
            },
        )
    assert response.status_code == 400
    assert 'data-field="duration_minutes"' in response.content.decode()
    assert not Meeting.objects.filter(is_emergency=True).exists()


def test_cancel_form_needs_a_reason(torg, login):
    meeting = _planned(torg)
    client = _english(login(torg.coordinator))
    with time_machine.travel(MON, tick=False):
        response = client.post(f"/meetings/{meeting.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED

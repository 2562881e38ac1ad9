from __future__ import annotations

from datetime import date

import pytest
import time_machine

from xietong.actions.models import ActionItem
from xietong.meetings.tests.factories import published_meeting
from xietong.records.models import Attendance, Decision, ItemRecord
from xietong.records.tests.helpers import BEFORE, DUE, DURING, decide, items_of

PEOPLE = [
    "coordinator",
    "host",
    "recorder",
    "chair",
    "tech_head",
    "tech_liaison",
    "market_head",
    "outsider",
]


def _english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def meeting(torg):
    return published_meeting(torg, topics=2)


def _decision_data(torg, **overrides):
    data = {
        "text": "技术部两周内提交停车位改造方案",
        "department": torg.departments["tech"].pk,
        "responsible": torg.tech_head.pk,
        "due_on": DUE.isoformat(),
    }
    data.update(overrides)
    return data


def _state():
    return (
        list(Attendance.objects.values_list("person_id", "status", "reason")),
        list(ItemRecord.objects.values_list("agenda_item_id", "outcome", "notes")),
        list(Decision.objects.values_list("id", "status", "leadership_comment")),
        ActionItem.objects.count(),
    )


# ---- page ---------------------------------------------------------------------------------


def test_recorder_page_shows_invitees_items_and_forms(torg, meeting, login):
    with time_machine.travel(DURING, tick=False):
        response = _english(login(torg.recorder)).get(f"/records/meeting/{meeting.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-person="{torg.tech_head.pk}"' in page
    for item in items_of(meeting):
        assert f"/records/item/{item.pk}/" in page
    assert f"/records/meeting/{meeting.pk}/decisions/" in page
    assert f"/records/meeting/{meeting.pk}/attendance/" in page


@pytest.mark.parametrize("person", ["tech_head", "tech_liaison", "outsider", "market_head"])
def test_page_hidden_from_others(torg, meeting, login, person):
    with time_machine.travel(DURING, tick=False):
        assert login(getattr(torg, person)).get(f"/records/meeting/{meeting.pk}/").status_code == 404


def test_leadership_sees_awaiting_decisions_with_answer_buttons_but_no_record_forms(torg, meeting, login):
    decision = decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="5000")
    with time_machine.travel(DURING, tick=False):
        page = login(torg.chair).get(f"/records/meeting/{meeting.pk}/").content.decode()
        recorder = login(torg.recorder).get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert f"/records/decision/{decision.pk}/approve/" in page
    assert f"/records/decision/{decision.pk}/reject/" in page
    assert "/decisions/" not in page and "/attendance/" not in page
    assert f"/records/decision/{decision.pk}/approve/" not in recorder
    assert 'data-status="awaiting_leadership"' in recorder


def test_mutating_urls_refuse_get(torg, meeting, login):
    decision = decide(torg, meeting)
    client = login(torg.recorder)
    item = items_of(meeting)[0]
    for url in (
        f"/records/meeting/{meeting.pk}/attendance/",
        f"/records/meeting/{meeting.pk}/decisions/",
        f"/records/item/{item.pk}/",
        f"/records/decision/{decision.pk}/approve/",
        f"/records/decision/{decision.pk}/reject/",
    ):
        assert client.get(url).status_code == 405


# The record page: the meeting with its invitees, attendance and decisions, the items, and one
# query for the people the attendance table offers as delegates, whatever the number of rows.
RECORD_PAGE_QUERIES = 13


def test_page_query_count_does_not_grow(torg, meeting, login, django_assert_max_num_queries):
    client = login(torg.recorder)
    decide(torg, meeting)
    with time_machine.travel(DURING, tick=False), django_assert_max_num_queries(RECORD_PAGE_QUERIES):
        assert client.get(f"/records/meeting/{meeting.pk}/").status_code == 200
    for _ in range(8):
        decide(torg, meeting)
    from xietong.records import services

    for rsvp in meeting.rsvps.all():
        services.attendance_record(
            meeting=meeting, person=rsvp.invitee, status="present", actor=torg.recorder, now=DURING
        )
    for item in items_of(meeting):
        services.item_record(item=item, outcome="closed", notes="n", actor=torg.recorder, now=DURING)
    with time_machine.travel(DURING, tick=False), django_assert_max_num_queries(RECORD_PAGE_QUERIES):
        assert client.get(f"/records/meeting/{meeting.pk}/").status_code == 200


# ---- attendance ---------------------------------------------------------------------------


def _attendance(person, **fields):
    """One row of the attendance table (the others left unconfirmed)."""
    return {f"a{person.pk}-{k}": v for k, v in fields.items()}


@pytest.mark.parametrize("person", PEOPLE)
def test_attendance_permission_matrix(torg, meeting, login, person):
    before = _state()
    with time_machine.travel(DURING, tick=False):
        response = login(getattr(torg, person)).post(
            f"/records/meeting/{meeting.pk}/attendance/", _attendance(torg.tech_head, status="present")
        )
    if person in ("recorder", "host"):
        assert response.status_code == 302
        # Typed in during the meeting with no sign-in time: present, not late.
        assert Attendance.objects.get(person=torg.tech_head).status == Attendance.Status.PRESENT
    else:
        assert response.status_code == 403
        assert _state() == before


def test_the_recorder_chooses_late_and_the_page_says_迟到(torg, meeting, login):
    client = login(torg.recorder)  # Chinese by default
    with time_machine.travel(DURING, tick=False):
        client.post(
            f"/records/meeting/{meeting.pk}/attendance/", _attendance(torg.tech_head, status="present")
        )
        client.post(
            f"/records/meeting/{meeting.pk}/attendance/", _attendance(torg.market_head, status="late")
        )
        page = client.get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert Attendance.objects.get(person=torg.market_head).status == Attendance.Status.LATE
    assert '<span data-attendance="late">迟到</span>' in page
    assert '<span data-attendance="present">出席</span>' in page
    assert "逾期" not in page.split('id="attendance"')[1].split("</section>")[0]


def test_attendance_absent_and_delegate(torg, meeting, login):
    client = login(torg.recorder)
    with time_machine.travel(DURING, tick=False):
        response = client.post(
            f"/records/meeting/{meeting.pk}/attendance/",
            {
                **_attendance(torg.market_head, status="absent", reason="出差"),
                **_attendance(torg.tech_head, status="delegate", delegate=torg.tech_liaison.pk),
            },
        )
    assert response.status_code == 302
    absent = Attendance.objects.get(person=torg.market_head)
    delegate = Attendance.objects.get(person=torg.tech_liaison)
    assert (absent.status, absent.reason) == (Attendance.Status.ABSENT, "出差")
    assert delegate.on_behalf_of_id == torg.tech_head.pk
    assert not Attendance.objects.filter(person=torg.tech_head).exists()


def test_attendance_bad_input(torg, meeting, login):
    client = _english(login(torg.recorder))
    before = _state()
    cases = [
        (_attendance(torg.market_head, status="absent", reason=""), "reason"),
        (_attendance(torg.market_head, status="absent", reason="x" * 301), "reason"),
        (_attendance(torg.market_head, status="maybe"), "status"),
        (_attendance(torg.market_head, status="delegate"), "delegate"),
        (_attendance(torg.market_head, status="delegate", delegate=torg.market_head.pk), "delegate"),
    ]
    for data, field in cases:
        # A good row beside the wrong one is not saved either: all or nothing.
        data = {**data, **_attendance(torg.tech_head, status="present")}
        with time_machine.travel(DURING, tick=False):
            response = client.post(f"/records/meeting/{meeting.pk}/attendance/", data)
        assert response.status_code == 400, data
        assert f'data-field="{field}"' in response.content.decode(), data
    # A row for someone not invited is no row of the table: nothing is recorded.
    with time_machine.travel(DURING, tick=False):
        response = client.post(
            f"/records/meeting/{meeting.pk}/attendance/", _attendance(torg.outsider, status="present")
        )
    assert response.status_code == 302
    assert _state() == before


def test_attendance_before_the_meeting_day_is_refused(torg, meeting, login):
    with time_machine.travel(date(2026, 3, 6), tick=False):
        response = _english(login(torg.recorder)).post(
            f"/records/meeting/{meeting.pk}/attendance/", _attendance(torg.tech_head, status="present")
        )
    assert response.status_code == 400
    assert "has not started" in response.content.decode()
    assert Attendance.objects.count() == 0


# ---- agenda items -------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_item_record_permission_matrix(torg, meeting, login, person):
    item = items_of(meeting)[0]
    before = _state()
    with time_machine.travel(DURING, tick=False):
        response = login(getattr(torg, person)).post(
            f"/records/item/{item.pk}/",
            {f"i{item.pk}-outcome": "decided", f"i{item.pk}-notes": "讨论", f"i{item.pk}-edit_version": 0},
        )
    if person == "recorder":
        assert response.status_code == 302
        assert ItemRecord.objects.get(agenda_item=item).outcome == "decided"
    else:
        assert response.status_code == 403
        assert _state() == before


def test_item_deferred_needs_a_reason_then_returns_the_topic(torg, meeting, login):
    item = items_of(meeting)[0]
    client = _english(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        response = client.post(
            f"/records/item/{item.pk}/", {f"i{item.pk}-outcome": "deferred", f"i{item.pk}-edit_version": 0}
        )
        assert response.status_code == 400
        assert 'data-field="reason"' in response.content.decode()
        assert not ItemRecord.objects.exists()
        response = client.post(
            f"/records/item/{item.pk}/",
            {
                f"i{item.pk}-outcome": "deferred",
                f"i{item.pk}-reason": "技术部提供新方案后再次讨论",
                f"i{item.pk}-edit_version": 0,
            },
        )
    assert response.status_code == 302
    record = ItemRecord.objects.get(agenda_item=item)
    assert record.outcome == "deferred" and record.deferred_to_id is not None
    with time_machine.travel(DURING, tick=False):
        page = client.get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert f"/records/item/{item.pk}/" not in page  # deferred items are final
    assert "技术部提供新方案后再次讨论" in page


def test_a_stale_item_record_is_refused_with_409_and_keeps_both_texts(torg, meeting, login):
    item = items_of(meeting)[0]
    first, second = _english(login(torg.recorder)), _english(login(torg.recorder))
    url = f"/records/item/{item.pk}/"
    with time_machine.travel(DURING, tick=False):
        opened = second.get(f"/records/meeting/{meeting.pk}/").content.decode()
        assert f'name="i{item.pk}-edit_version" value="0"' in opened
        saved = first.post(
            url,
            {
                f"i{item.pk}-outcome": "decided",
                f"i{item.pk}-notes": "甲的记录",
                f"i{item.pk}-edit_version": 0,
            },
        )
        assert saved.status_code == 302
        before = _state()
        response = second.post(
            url,
            {f"i{item.pk}-outcome": "closed", f"i{item.pk}-notes": "乙的记录", f"i{item.pk}-edit_version": 0},
        )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this since you opened it, so nothing was saved." in html
    assert "乙的记录</textarea>" in html and 'data-stale="1"' in html and "甲的记录" in html
    assert _state() == before
    record = ItemRecord.objects.get(agenda_item=item)
    assert (record.notes, record.outcome, record.edit_version) == ("甲的记录", "decided", 1)


# ---- decisions ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_decision_permission_matrix(torg, meeting, login, person):
    before = _state()
    with time_machine.travel(DURING, tick=False):
        response = login(getattr(torg, person)).post(
            f"/records/meeting/{meeting.pk}/decisions/", _decision_data(torg)
        )
    if person in ("recorder", "host"):
        assert response.status_code == 302
        decision = Decision.objects.get()
        assert decision.status == Decision.Status.EFFECTIVE
        assert ActionItem.objects.filter(decision=decision).exists()
    else:
        assert response.status_code == 403
        assert _state() == before


def test_decision_with_resources_awaits_leadership(torg, meeting, login):
    item = items_of(meeting)[0]
    with time_machine.travel(DURING, tick=False):
        response = login(torg.recorder).post(
            f"/records/meeting/{meeting.pk}/decisions/",
            _decision_data(
                torg, agenda_item=item.pk, allocates_resources="on", resource_kind="money", amount="20000"
            ),
        )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.status, decision.agenda_item_id) == (Decision.Status.AWAITING_LEADERSHIP, item.pk)
    assert not ActionItem.objects.exists()


def test_decision_bad_input(torg, meeting, login):
    client = _english(login(torg.recorder))
    cases = [
        (_decision_data(torg, text=""), "text"),
        (_decision_data(torg, text="x" * 2001), "text"),
        (_decision_data(torg, responsible=""), "responsible"),
        (_decision_data(torg, responsible=999999), "responsible"),
        (_decision_data(torg, responsible=torg.market_head.pk), "responsible"),
        (_decision_data(torg, department=""), "department"),
        (_decision_data(torg, due_on=""), "due_on"),
        (_decision_data(torg, due_on="2026-03-01"), "due_on"),
        (_decision_data(torg, due_on="not a date"), "due_on"),
        (_decision_data(torg, allocates_resources="on", amount="100"), "resource_kind"),
        (_decision_data(torg, allocates_resources="on", resource_kind="money", amount="-5"), "amount"),
        (_decision_data(torg, agenda_item=999999), "agenda_item"),
    ]
    for data, field in cases:
        with time_machine.travel(DURING, tick=False):
            response = client.post(f"/records/meeting/{meeting.pk}/decisions/", data)
        assert response.status_code == 400, data
        assert f'data-field="{field}"' in response.content.decode(), data
    assert not Decision.objects.exists() and not ActionItem.objects.exists()


def test_decision_before_the_meeting_is_refused(torg, meeting, login):
    with time_machine.travel(BEFORE, tick=False):
        response = _english(login(torg.recorder)).post(
            f"/records/meeting/{meeting.pk}/decisions/", _decision_data(torg)
        )
    assert response.status_code == 400
    assert not Decision.objects.exists()


def test_decision_text_is_escaped(torg, meeting, login):
    client = login(torg.recorder)
    with time_machine.travel(DURING, tick=False):
        client.post(
            f"/records/meeting/{meeting.pk}/decisions/",
            _decision_data(torg, text='<script>alert("x")</script><b>粗</b>'),
        )
        page = client.get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert Decision.objects.get().text == '<script>alert("x")</script><b>粗</b>'
    assert "<script>alert" not in page and "<b>粗" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;b&gt;粗" in page


# ---- leadership ---------------------------------------------------------------------------


def _awaiting(torg, meeting):
    return decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="5000")


@pytest.mark.parametrize("step", ["approve", "reject"])
@pytest.mark.parametrize("person", PEOPLE)
def test_answer_permission_matrix(torg, meeting, login, person, step):
    decision = _awaiting(torg, meeting)
    before = _state()
    data = {"comment": "同意"} if step == "approve" else {"reason": "预算不足"}
    with time_machine.travel(DURING, tick=False):
        response = login(getattr(torg, person)).post(f"/records/decision/{decision.pk}/{step}/", data)
    decision.refresh_from_db()
    if person == "chair":
        assert response.status_code == 302
        expected = Decision.Status.EFFECTIVE if step == "approve" else Decision.Status.REJECTED
        assert decision.status == expected and decision.leadership_by_id == torg.chair.pk
        assert ActionItem.objects.filter(decision=decision).exists() == (step == "approve")
    else:
        assert response.status_code == 403
        assert _state() == before


def test_reject_needs_a_reason_and_answers_once(torg, meeting, login):
    decision = _awaiting(torg, meeting)
    client = _english(login(torg.chair))
    with time_machine.travel(DURING, tick=False):
        response = client.post(f"/records/decision/{decision.pk}/reject/", {"reason": ""})
        assert response.status_code == 400
        assert 'data-field="reason"' in response.content.decode()
        assert Decision.objects.get().status == Decision.Status.AWAITING_LEADERSHIP
        assert client.post(f"/records/decision/{decision.pk}/approve/", {}).status_code == 302
        before = _state()
        response = client.post(f"/records/decision/{decision.pk}/reject/", {"reason": "晚了"})
    assert response.status_code == 400
    assert _state() == before

"""A coming year's holiday schedule (issue 10 point 12): while the calendar library does not
know a year, the calendar page says so in red on every month of it and 我的待办 flags the
deadlines in it; the coordinator enters the State Council's schedule in one form, the flag
clears and the open deadlines in that year are computed again."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.desk.testing import build_test_org
from xietong.meetings.services import meeting_schedule
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.tests.htmlbits import field_errors, section
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import HolidaySchedule
from xietong.policy.selectors import business_calendar
from xietong.policy.services import holiday_schedule_enter

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)  # a Sunday; 2027 is not in the library
MEETING = datetime(2027, 1, 11, 9, 0, tzinfo=SHANGHAI)  # a Monday

HOLIDAYS = "2027-01-01 ~ 2027-01-03 元旦\n2027-01-07~2027-01-08 测试假\n\n2027-02-06 至 2027-02-12 春节"
WORKING = "2027-01-09 测试假调休\n2027-02-13 春节调休"


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param, now=NOW)


def _enter(org, **overrides):
    data = {
        "year": 2027,
        "holidays": [
            (date(2027, 1, 1), date(2027, 1, 3), "元旦"),
            (date(2027, 1, 7), date(2027, 1, 8), "测试假"),
        ],
        "working_days": [(date(2027, 1, 9), "测试假调休")],
        "actor": org.coordinator,
        "now": NOW,
    }
    data.update(overrides)
    return holiday_schedule_enter(**data)


def _zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


# ---- the calendar page ----------------------------------------------------------------------


def test_every_month_of_an_unknown_year_says_so_in_red(org, login):
    client = login(org.coordinator)
    for month in range(1, 13):
        html = client.get(f"/policy/calendar/?year=2027&month={month}").content.decode()
        banner = section(html, "unpublished")
        assert "flash error" in banner and "2027" in banner, month
        assert reverse("policy:holiday_schedule", args=[2027]) in banner
    # Others see the warning but not the way to fix it.
    html = login(org.tech_liaison).get("/policy/calendar/?year=2027&month=5").content.decode()
    assert 'id="unpublished"' in html and reverse("policy:holiday_schedule", args=[2027]) not in html


def test_entering_the_schedule_publishes_the_year(org, login):
    _enter(org)
    calendar = business_calendar()
    assert calendar.is_published(2027) and calendar.is_entered(2027)
    assert (
        calendar.day(date(2027, 1, 7)).kind == "holiday"
        and calendar.day(date(2027, 1, 7)).holiday_name == "测试假"
    )
    assert calendar.day(date(2027, 1, 9)).kind == "adjusted_workday" and calendar.is_working_day(
        date(2027, 1, 9)
    )
    assert calendar.day(date(2027, 1, 4)).working  # an ordinary Monday
    assert not calendar.day(date(2027, 1, 2)).working  # a holiday Saturday
    for month in (1, 6, 12):
        html = login(org.tech_liaison).get(f"/policy/calendar/?year=2027&month={month}").content.decode()
        assert 'id="unpublished"' not in html and 'id="entered"' in html
    html = login(org.tech_liaison).get("/policy/calendar/?year=2027&month=1").content.decode()
    assert 'data-day="2027-01-08" data-kind="holiday"' in html and "测试假" in section(html, "special-days")
    assert 'data-day="2027-01-09" data-kind="adjusted_workday"' in html
    # 2028 is still unknown.
    assert not business_calendar().is_published(2028)
    event = events_for(HolidaySchedule.objects.get()).get(name="calendar.schedule_entered")
    assert event.data["year"] == 2027 and event.data["holidays"] == 2


def test_entering_again_replaces_the_years_schedule(org):
    _enter(org)
    _enter(org, holidays=[(date(2027, 1, 1), date(2027, 1, 1), "元旦")], working_days=[])
    calendar = business_calendar()
    assert calendar.day(date(2027, 1, 7)).working and not calendar.day(date(2027, 1, 1)).working
    assert HolidaySchedule.objects.count() == 2  # the earlier entry stays on record


# ---- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["chair", "tech_head", "tech_liaison", "host", "outsider"])
def test_only_the_coordinator_enters_the_schedule(org, login, persona):
    person = getattr(org, persona)
    with pytest.raises(Forbidden):
        _enter(org, actor=person)
    client = login(person)
    url = reverse("policy:holiday_schedule", args=[2027])
    assert client.get(url).status_code == 403
    assert client.post(url, {"holidays": HOLIDAYS, "working_days": WORKING}).status_code == 403
    assert not HolidaySchedule.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"year": 2026}, "published"),  # the library knows 2026
        ({"year": 1999}, "bad_year"),
        ({"holidays": []}, "no_holidays"),
        ({"holidays": [(date(2028, 1, 1), date(2028, 1, 1), "元旦")]}, "wrong_year"),
        ({"holidays": [(date(2027, 1, 3), date(2027, 1, 1), "元旦")]}, "bad_range"),
        ({"holidays": [(date(2027, 1, 1), date(2027, 3, 1), "长假")]}, "too_long"),
        ({"holidays": [(date(2027, 1, 1), date(2027, 1, 1), "  ")]}, "bad_name"),
        (
            {
                "holidays": [
                    (date(2027, 2, 6), date(2027, 2, 12), "春节"),
                    (date(2027, 2, 12), date(2027, 2, 14), "另一假"),
                ]
            },
            "overlap",
        ),
        ({"working_days": [(date(2027, 1, 2), "调休")]}, "overlap"),  # inside 元旦
        ({"working_days": [(date(2027, 1, 9), ""), (date(2027, 1, 9), "")]}, "duplicate"),
        ({"working_days": [(date(2026, 12, 27), "")]}, "wrong_year"),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_saved(org, overrides, code):
    with pytest.raises(DomainError) as err:
        _enter(org, **overrides)
    assert err.value.code == code
    assert not HolidaySchedule.objects.exists()


def test_the_form_refuses_bad_lines_beside_their_field(org, login):
    client = _zh(login(org.coordinator))
    url = reverse("policy:holiday_schedule", args=[2027])
    html = client.get(url).content.decode()
    assert 'name="holidays"' in html and 'name="working_days"' in html and 'id="unpublished"' in html
    cases = [
        ({"holidays": "2027-02-30 ~ 2027-03-01 春节"}, "holidays", "第 1 行"),  # no such day
        ({"holidays": "2027-01-01 元旦\n元宵节"}, "holidays", "第 2 行"),
        ({"holidays": "2027-01-01 ~ 2027-01-03"}, "holidays", "名称"),
        ({"holidays": ""}, "holidays", "至少"),
        ({"holidays": "2027-02-06 ~ 2027-02-12 春节\n2027-02-10 ~ 2027-02-14 另一假"}, "holidays", "重叠"),
        ({"holidays": "2027-01-01 元旦", "working_days": "2027-01-01"}, "working_days", "元旦"),
        ({"holidays": "2027-01-01 元旦", "working_days": "next saturday"}, "working_days", "第 1 行"),
    ]
    for data, field, text in cases:
        response = client.post(url, {"working_days": "", **data})
        assert response.status_code == 200, data
        errors = field_errors(response.content.decode(), field)
        assert errors and text in errors[0], (data, errors)
    assert not HolidaySchedule.objects.exists()


def test_a_year_the_library_knows_cannot_be_entered(org, login):
    client = login(org.coordinator)
    url = reverse("policy:holiday_schedule", args=[2026])
    assert 'id="known"' in client.get(url).content.decode()
    response = client.post(url, {"holidays": "2026-01-01 元旦", "working_days": ""})
    assert response.status_code == 200 and not HolidaySchedule.objects.exists()


# ---- deadlines follow the schedule ------------------------------------------------------------


def _meeting_duties():
    return {o.kind: o for o in Obligation.objects.filter(state=Obligation.State.PENDING).order_by("id")}


def test_open_deadlines_in_the_year_are_computed_again(org, login):
    with time_machine.travel(NOW, tick=False):
        meeting_schedule(series=org.series, starts_at=MEETING, now=NOW, actor=org.coordinator)
    before = _meeting_duties()
    agenda = before[ObligationKind.AGENDA]
    assert agenda.calendar_flagged and all(o.calendar_flagged for o in before.values())
    # Without the schedule the Thursday before (seed 01: Thu 17:00; seed 02: two working days
    # before, 12:00 — also the Thursday) is assumed a working day.
    assert agenda.due_at.astimezone(SHANGHAI).date() == date(2027, 1, 7)
    # 我的待办 flags it.
    with time_machine.travel(NOW, tick=False):
        home = login(org.coordinator).get("/").content.decode()
    assert section(home, "duties").count("节假日安排未公布") == len(before)

    # The coordinator enters 2027's schedule in the form: the Thursday and Friday are holidays,
    # the Saturday is worked.
    with time_machine.travel(NOW, tick=False):
        response = login(org.coordinator).post(
            reverse("policy:holiday_schedule", args=[2027]),
            {"holidays": HOLIDAYS, "working_days": WORKING, "source": "国办发明电〔2026〕X号"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("policy:calendar") + "?year=2027&month=1"

    after = _meeting_duties()
    assert {o.pk for o in after.values()} == {o.pk for o in before.values()}  # the same duties
    assert not any(o.calendar_flagged for o in after.values())
    moved = after[ObligationKind.AGENDA]
    rules = org.policy.current_version().rules
    assert moved.due_at == rules.deadline("agenda_cutoff", MEETING, business_calendar()).value
    if org.policy.key == "weekly-cross-department":
        # Thursday 7 January is a holiday: the cut-off moves to the working day before.
        assert moved.due_at == datetime(2027, 1, 6, 17, 0, tzinfo=SHANGHAI)
    else:
        # Two working days before Monday: Saturday 9 (worked), then Wednesday 6.
        assert moved.due_at == datetime(2027, 1, 6, 12, 0, tzinfo=SHANGHAI)
    assert moved.warn_at is None or moved.warn_at < moved.due_at
    with time_machine.travel(NOW, tick=False):
        home = login(org.coordinator).get("/").content.decode()
    assert "节假日安排未公布" not in home and "议程" in section(home, "duties")
    event = events_for(HolidaySchedule.objects.get()).get(name="calendar.schedule_entered")
    assert event.data["deadlines_recomputed"] >= 1


def test_a_deadline_already_past_keeps_its_moment(org):
    with time_machine.travel(NOW, tick=False):
        meeting_schedule(series=org.series, starts_at=MEETING, now=NOW, actor=org.coordinator)
    agenda = _meeting_duties()[ObligationKind.AGENDA]
    late_entry = datetime(2027, 1, 6, 18, 0, tzinfo=SHANGHAI)  # after the moved cut-off
    with translation.override("zh-hans"):
        _enter(org, now=late_entry)
    agenda.refresh_from_db()
    assert agenda.due_at.astimezone(SHANGHAI).date() == date(2027, 1, 7)  # nobody is made late
    assert not agenda.calendar_flagged

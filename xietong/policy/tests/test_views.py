"""Policy pages: the regulation, its versions, editing it, the business calendar."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.core.models import Event
from xietong.desk.testing import make_person
from xietong.org.models import Organization
from xietong.org.tests.htmlbits import field_errors, section
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import dump_policy
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_install_preset, policy_version_create

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
PERSONAS = ["coordinator", "tech_head", "tech_liaison", "outsider", "chair"]


@pytest.fixture(autouse=True)
def _setup(client):
    client.cookies["django_language"] = "en"
    with time_machine.travel(NOW, tick=False):
        yield


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def edited_text(policy, old="minutes = 90", new="minutes = 80") -> str:
    return dump_policy(current_version(policy).rules).replace(old, new)


def versions():
    return list(PolicyVersion.objects.order_by("id").values_list("policy_id", "number", "data", "reason"))


# ---- the regulation ---------------------------------------------------------------------


def test_policy_page_with_one_policy_shows_rules_and_history(login, torg):
    policy_version_create(
        policy=torg.policy,
        actor=torg.coordinator,
        now=NOW,
        reason="会议缩短到80分钟",
        text=edited_text(torg.policy),
    )
    html = page(login(torg.outsider).get("/policy/"))
    assert torg.policy.name in html
    rule = section(html, "rule-meeting_duration_cap")
    assert "Meeting duration cap" in rule and "At most 80 minutes" in rule and "第五条(二)2" in rule
    assert "单次会议不超过90分钟" in rule  # the note
    assert "Not set by this regulation" in section(html, "rule-speaking_limit")
    history = section(html, "history")
    assert "会议缩短到80分钟" in history and "钱主任" in history and "2026-03-02 10:00" in history
    assert reverse("policy:version", args=[torg.policy.key, 1]) in history
    assert reverse("policy:edit", args=[torg.policy.key]) not in html  # outsiders get no edit link


def test_coordinator_sees_the_edit_link(login, torg):
    html = page(login(torg.coordinator).get("/policy/"))
    assert reverse("policy:edit", args=[torg.policy.key]) in html


def test_several_policies_list_then_key(login, torg):
    other = policy_install_preset(name="seed02-coordination", now=NOW)
    client = login(torg.outsider)
    html = page(client.get("/policy/"))
    assert f"?key={other.key}" in html and f"?key={torg.policy.key}" in html
    assert 'id="rules"' not in html
    html = page(client.get(f"/policy/?key={other.key}"))
    assert other.name in html and "At least 5 votes in favour" in html
    assert client.get("/policy/?key=nope").status_code == 404


def test_old_version_page(login, torg):
    policy_version_create(
        policy=torg.policy, actor=torg.coordinator, now=NOW, reason="r", text=edited_text(torg.policy)
    )
    client = login(torg.outsider)
    html = page(client.get(f"/policy/{torg.policy.key}/v1/"))
    assert "This is an old version" in html and "At most 90 minutes" in html
    html = page(client.get(f"/policy/{torg.policy.key}/v2/"))
    assert "This is an old version" not in html and "At most 80 minutes" in html
    assert client.get(f"/policy/{torg.policy.key}/v9/").status_code == 404


def test_policy_page_query_count_pinned(login, torg, django_assert_num_queries):
    client = login(torg.outsider)
    with CaptureQueriesContext(connection) as first:
        page(client.get("/policy/"))
    for i in range(5):
        text = re.sub(
            r"(\[rules\.meeting_duration_cap\][^\[]*minutes = )\d+",
            rf"\g<1>{91 + i}",
            dump_policy(current_version(torg.policy).rules),
        )
        policy_version_create(policy=torg.policy, actor=torg.coordinator, now=NOW, reason=f"r{i}", text=text)
    assert current_version(torg.policy).number == 6
    with CaptureQueriesContext(connection) as second:
        page(client.get("/policy/"))
    assert len(second) == len(first)
    with django_assert_num_queries(5):  # roles_of is one query
        client.get("/policy/")


# ---- editing the TOML file (administrators) --------------------------------------------


@pytest.fixture
def admin(torg):
    person = make_person("admin", "管理员", torg.departments["office"])
    person.is_superuser = person.is_staff = True
    person.save(update_fields=["is_superuser", "is_staff"])
    return person


@pytest.mark.parametrize("persona", [*PERSONAS, "admin"])
def test_toml_import_matrix(login, torg, admin, persona):
    """The TOML file is for administrators; the coordinator and leadership use the form."""
    client = login(admin if persona == "admin" else getattr(torg, persona))
    url = reverse("policy:import", args=[torg.policy.key])
    before = (versions(), Event.objects.count())
    get = client.get(url)
    response = client.post(url, {"text": edited_text(torg.policy), "reason": "缩短会议", "edit_version": 1})
    if persona == "admin":
        assert get.status_code == 200
        assert "[rules.meeting_duration_cap]" in get.content.decode()
        assert response.status_code == 302
        assert current_version(torg.policy).number == 2
    else:
        assert get.status_code == 403
        assert response.status_code == 403
        assert (versions(), Event.objects.count()) == before


def test_edit_shows_every_problem_and_saves_nothing(login, torg, admin):
    text = edited_text(torg.policy, "minutes = 90", "minutes = -5").replace(
        'if_closed = "earlier"', 'if_closed = "soon"', 1
    )
    before = versions()
    html = page(
        login(admin).post(
            reverse("policy:import", args=[torg.policy.key]), {"text": text, "reason": "x", "edit_version": 1}
        )
    )
    problems = section(html, "problems")
    assert "Meeting duration cap (meeting_duration_cap):" in problems
    assert "Topic submission window opens (topic_window_opens):" in problems
    assert versions() == before


def test_edit_domain_errors_land_on_their_field(login, torg, admin):
    client = login(admin)
    url = reverse("policy:import", args=[torg.policy.key])
    html = page(
        client.post(
            url,
            {"text": dump_policy(current_version(torg.policy).rules), "reason": "same", "edit_version": 1},
        )
    )
    assert field_errors(html, "text") == ["Nothing changed: this is the current version."]
    html = page(client.post(url, {"text": edited_text(torg.policy), "reason": "", "edit_version": 1}))
    assert field_errors(html, "reason")
    html = page(client.post(url, {"text": "", "reason": "x", "edit_version": 1}))
    assert field_errors(html, "text") == ["Paste the rules or upload a file."]
    assert current_version(torg.policy).number == 1


def test_a_stale_policy_edit_is_refused_with_409_and_keeps_both_texts(login, torg, admin):
    """Two coordinators' tabs start from version 1; the second save would drop the first's change."""
    url = reverse("policy:import", args=[torg.policy.key])
    first, second = login(admin), login(admin)
    assert 'name="edit_version" value="1"' in page(second.get(url))
    mine = edited_text(torg.policy, "minutes = 90", "minutes = 75")
    assert (
        first.post(
            url, {"text": edited_text(torg.policy), "reason": "缩短会议", "edit_version": 1}
        ).status_code
        == 302
    )
    before = (versions(), Event.objects.count())
    response = second.post(url, {"text": mine, "reason": "另一处修改", "edit_version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this since you opened it, so nothing was saved." in html
    form, saved = html.split('data-stale="1"', 1)[1].split("</dl>", 1)[::-1]
    assert "minutes = 75" in form and "minutes = 80" not in form
    assert "minutes = 80" in saved and "minutes = 75" not in saved
    assert 'name="edit_version" value="2"' in html
    assert (versions(), Event.objects.count()) == before


def test_edit_with_uploaded_toml(login, torg, admin):
    upload = SimpleUploadedFile(
        "policy.toml", ("\ufeff" + edited_text(torg.policy)).encode(), "application/toml"
    )
    response = login(admin).post(
        reverse("policy:import", args=[torg.policy.key]),
        {"text": "ignored", "upload": upload, "reason": "文件", "edit_version": 1},
    )
    assert response.status_code == 302
    assert current_version(torg.policy).rules.minutes("meeting_duration_cap") == 80


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"[rules.meeting_duration_cap]\nminutes = 80\x00\n",
    ],
)
def test_edit_with_an_upload_that_is_not_toml_text(login, torg, admin, content):
    before = current_version(torg.policy).number
    response = login(admin).post(
        reverse("policy:import", args=[torg.policy.key]),
        {"text": "", "upload": SimpleUploadedFile("policy.toml", content), "reason": "文件"},
    )
    assert response.status_code == 200
    assert field_errors(page(response), "upload") == [
        "The content of “policy.toml” does not match its extension .toml; it cannot be uploaded."
    ]
    assert current_version(torg.policy).number == before


def test_edit_unknown_policy_404(login, torg):
    assert login(torg.coordinator).get("/policy/nope/edit/").status_code == 404


# ---- the calendar -----------------------------------------------------------------------


def test_calendar_month_shows_holidays_and_adjusted_weekends(login, torg):
    html = page(login(torg.outsider).get("/policy/calendar/?year=2026&month=2"))
    assert 'id="unpublished"' not in html
    assert re.search(r'data-day="2026-02-17" data-kind="holiday"', html)
    assert re.search(r'data-day="2026-02-14" data-kind="adjusted_workday"', html)
    assert re.search(r'data-day="2026-02-16" data-kind="holiday"', html)
    assert "Spring Festival" in section(html, "special-days")
    assert 'id="overrides"' not in html  # the form is for the coordinator


def test_calendar_unpublished_year_banner(login, torg):
    html = page(login(torg.outsider).get("/policy/calendar/?year=2027&month=1"))
    banner = section(html, "unpublished")
    assert "2027" in banner and "not yet published" in banner and "may move" in banner


def test_calendar_bad_parameters_fall_back(login, torg):
    html = page(login(torg.outsider).get("/policy/calendar/?year=abc&month=99"))
    assert "2026-12" in html  # this year, month clamped to 12


def test_calendar_shows_the_organisations_own_days(login, torg):
    org = Organization.current()
    org.extra_closed_days = ["2026-03-04"]
    org.extra_working_days = ["2026-03-07"]
    org.save()
    html = page(login(torg.coordinator).get("/policy/calendar/?year=2026&month=3"))
    assert 'data-day="2026-03-04" data-kind="holiday" data-override="closed"' in html
    assert 'data-day="2026-03-07" data-kind="adjusted_workday" data-override="working"' in html
    assert "2026-03-04" in section(html, "overrides")


def test_calendar_query_count_pinned(login, torg, django_assert_num_queries):
    client = login(torg.coordinator)
    with django_assert_num_queries(4):  # roles_of is one query
        page(client.get("/policy/calendar/?year=2026&month=10"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_calendar_override_matrix(login, torg, persona):
    client = login(getattr(torg, persona))
    before = (Organization.current().extra_closed_days, Event.objects.count())
    response = client.post(reverse("policy:calendar_override"), {"day": "2026-03-04", "kind": "closed"})
    org = Organization.current()
    if persona == "coordinator":
        assert response.status_code == 302
        assert response["Location"] == reverse("policy:calendar") + "?year=2026&month=3"
        assert org.extra_closed_days == ["2026-03-04"]
    else:
        assert response.status_code == 403
        assert (org.extra_closed_days, Event.objects.count()) == before


def test_calendar_override_get_is_405(login, torg):
    assert login(torg.coordinator).get(reverse("policy:calendar_override")).status_code == 405


def test_calendar_override_bad_input_shows_field_errors(login, torg):
    client = login(torg.coordinator)
    html = page(client.post(reverse("policy:calendar_override"), {"day": "2026-02-30", "kind": "closed"}))
    assert field_errors(html, "day")
    html = page(client.post(reverse("policy:calendar_override"), {"day": "1999-01-04", "kind": "closed"}))
    assert field_errors(html, "day") == ["Choose a day between 2000 and 2100."]
    html = page(client.post(reverse("policy:calendar_override"), {"day": "2026-03-04", "kind": "maybe"}))
    assert field_errors(html, "kind")
    assert Organization.current().extra_closed_days == []


def test_edit_page_names_each_choice_rules_own_values(torg, login):
    """Every choice rule offers its own values (not the majority methods' names)."""
    html = login(torg.coordinator).get(reverse("policy:edit", args=[torg.policy.key])).content.decode()
    assert "The deputy or the liaison" in html and "No vote required" in html

"""The two policy forms in headless Chromium: the coordinator changes a rule in the rules form
(a refusal beside the rule, then a new version), and enters a coming year's holiday schedule
(a refusal for overlapping ranges, then the red banner is gone)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from xietong.desk.testing import PASSWORD, chromium, record_csp_violations
from xietong.policy.calendar import SHANGHAI
from xietong.policy.tests.test_rules_form import _approve_draft

pytestmark = pytest.mark.browser

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def browser_page(settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        violations = record_csp_violations(page)
        yield page
        context.close()
        assert violations == []


def _submit(page, button) -> None:
    with page.expect_navigation(wait_until="load"):
        button.click()


def _login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    _submit(page, page.locator("button[type=submit].primary"))
    assert page.url == f"{base}/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("preset", ["seed01-weekly", "seed02-coordination"])
def test_the_coordinator_changes_a_rule_in_the_form(live_server, browser_page, preset):
    from xietong.desk.testing import build_test_org
    from xietong.policy.selectors import current_version

    page = browser_page
    base = live_server.url
    with time_machine.travel(NOW, tick=True):
        torg = build_test_org(preset=preset, now=NOW)
        _login(page, base, "coord")
        page.goto(f"{base}/policy/")
        _submit(page, page.get_by_role("link", name="修改规则"))
        row = page.locator("#rule-meeting_duration_cap")
        assert "分钟" in row.inner_text()
        assert row.locator("input[name='meeting_duration_cap-minutes']").input_value() == str(
            current_version(torg.policy).rules.minutes("meeting_duration_cap")
        )
        assert page.locator("#rule-meeting_duration_cap td.preset").inner_text().strip()
        # The open-discussion slot longer than the meeting: refused beside the rule.
        page.fill("input[name='open_discussion_slot-minutes']", "500")
        page.fill("#id_reason", "领导小组会议决定")
        _submit(page, page.locator("#rules-form button[type=submit]"))
        error = page.locator("#rule-open_discussion_slot p.error")
        assert "短于" in error.inner_text()
        assert current_version(torg.policy).number == 1
        # Corrected: a new version.
        page.fill("input[name='open_discussion_slot-minutes']", "5")
        page.fill("input[name='meeting_duration_cap-minutes']", "45")
        _submit(page, page.locator("#rules-form button[type=submit]"))
        assert "/policy/?key=" in page.url
        # A drafted version is in force only once the leadership group approves it.
        assert current_version(torg.policy).number == 1
        _approve_draft(torg)
        version = current_version(torg.policy)
        assert version.number == 2 and version.reason == "领导小组会议决定"
        assert version.rules.minutes("meeting_duration_cap") == 45
        assert version.rules.minutes("open_discussion_slot") == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("preset", ["seed01-weekly", "seed02-coordination"])
def test_the_coordinator_enters_a_coming_years_holidays(live_server, browser_page, preset):
    from xietong.desk.testing import build_test_org
    from xietong.policy.models import HolidaySchedule

    page = browser_page
    base = live_server.url
    with time_machine.travel(NOW, tick=True):
        build_test_org(preset=preset, now=NOW)
        _login(page, base, "coord")
        page.goto(f"{base}/policy/calendar/?year=2027&month=3")
        banner = page.locator("#unpublished")
        assert banner.is_visible() and "2027" in banner.inner_text()
        _submit(page, banner.get_by_role("link", name="录入国务院节假日安排"))
        page.fill(
            "#id_holidays",
            "2027-01-01 ~ 2027-01-03 元旦\n2027-02-06 ~ 2027-02-12 春节\n2027-02-11 ~ 2027-02-13 另一假",
        )
        page.fill("#id_working_days", "2027-02-14 春节调休")
        _submit(page, page.locator("#schedule-form button[type=submit]"))
        assert "重叠" in page.locator("p.error[data-field='holidays']").inner_text()
        assert not HolidaySchedule.objects.exists()
        page.fill("#id_holidays", "2027-01-01 ~ 2027-01-03 元旦\n2027-02-06 ~ 2027-02-12 春节")
        _submit(page, page.locator("#schedule-form button[type=submit]"))
        assert page.url.endswith("/policy/calendar/?year=2027&month=1")
        assert page.locator("#unpublished").count() == 0
        assert page.locator("#entered").is_visible()
        page.goto(f"{base}/policy/calendar/?year=2027&month=2")
        assert page.locator("td[data-day='2027-02-08']").get_attribute("data-kind") == "holiday"
        assert page.locator("td[data-day='2027-02-14']").get_attribute("data-kind") == "adjusted_workday"
        assert HolidaySchedule.objects.get().year == 2027

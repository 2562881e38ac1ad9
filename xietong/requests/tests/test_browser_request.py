"""A request walked in headless Chromium: the liaison of 市场部 asks 信息运维部 for a data export,
its liaison finds it on 我的待办 and accepts it with a committed date, reports it delivered, and
the requester confirms it and rates the help."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from xietong.desk.testing import PASSWORD, build_test_org, chromium, make_person, record_csp_violations
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Department, Role
from xietong.policy.calendar import SHANGHAI
from xietong.policy.services import policy_install_preset
from xietong.requests import services
from xietong.requests.models import CollaborationRequest

pytestmark = pytest.mark.browser

START = datetime(2026, 3, 3, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def browser_page(settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
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
def test_market_asks_it_ops_which_accepts_delivers_and_is_rated(live_server, browser_page):
    page = browser_page
    base = live_server.url
    with time_machine.travel(START, tick=True):
        torg = build_test_org(now=START)
        ops = Department.objects.create(name="信息运维部", sort_order=9)
        make_person("ops_liaison", "林运维", ops, Role.LIAISON)
        scheme = policy_install_preset(name="seed04-collaboration", now=START)
        services.request_type_create(
            actor=torg.coordinator, now=START, key="data-export", name="数据提取", policy=scheme
        )

        # 1. The liaison of 市场部 files the request; a date in the past is refused beside the field.
        _login(page, base, "market_liaison")
        page.goto(f"{base}/requests/new/")
        page.select_option("#id_request_type", label="数据提取")
        page.select_option("#id_to_department", label="信息运维部")
        page.fill("#id_title", "导出上季度客户名单")
        page.fill("#id_content", "用于客户回访，需要姓名、单位和联系电话")
        page.fill("#id_expected_by", "2026-03-01")
        _submit(page, page.locator("#new-request button[type=submit]"))
        assert page.locator("p.error[data-field=expected_by]").inner_text() == "期望完成日期早于今天。"
        assert not CollaborationRequest.objects.exists()
        page.fill("#id_expected_by", "2026-03-06")
        _submit(page, page.locator("#new-request button[type=submit]"))
        assert page.locator("#status").inner_text() == "待响应"
        request = CollaborationRequest.objects.get()
        duty = Obligation.objects.get(kind=ObligationKind.REQUEST_RESPONSE, subject_id=request.pk)
        assert duty.department == ops and duty.clause == "四、2"

        # 2. 信息运维部's liaison finds it on 我的待办 and accepts it with a committed date.
        _login(page, base, "ops_liaison")
        _submit(page, page.locator("#requests-to-answer a", has_text="导出上季度客户名单"))
        page.fill("#id_accept-committed_by", "2026-03-05")
        _submit(page, page.locator("form[data-action=accept] button[type=submit]"))
        assert "已受理该需求单。" in page.locator(".flash").inner_text()
        assert page.locator("#status").inner_text() == "已受理，办理中"
        assert page.locator("#committed").inner_text() == "2026-03-05"

        # 3. It reports the export delivered.
        page.fill("#id_deliver-note", "已导出，放在共享盘 市场部/回访 目录")
        _submit(page, page.locator("form[data-action=deliver] button[type=submit]"))
        assert page.locator("#status").inner_text() == "已交付，待确认"

        # 4. The requester confirms and rates the help.
        _login(page, base, "market_liaison")
        page.goto(f"{base}/requests/?box=outgoing")
        _submit(page, page.locator("#requests a", has_text="导出上季度客户名单"))
        page.select_option("#id_confirm-rating", "5")
        page.fill("#id_confirm-comment", "很及时")
        _submit(page, page.locator("form[data-action=confirm] button[type=submit]"))
        assert page.locator("#status").inner_text() == "已确认办结"
        assert "5/5" in page.locator("#rating").inner_text()

    request.refresh_from_db()
    assert (request.status, request.rating, request.committed_by) == ("closed", 5, date(2026, 3, 5))
    duty.refresh_from_db()
    assert duty.state == Obligation.State.MET
    assert [e.get_attribute("data-event") for e in page.locator("#timeline li").all()] == [
        "request.submitted",
        "request.accepted",
        "request.delivered",
        "request.confirmed",
    ]

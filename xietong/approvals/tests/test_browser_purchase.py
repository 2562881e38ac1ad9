"""An equipment purchase of ¥80,000 walked in headless Chromium: an engineer of 研发一部 files it,
the department head, the finance head and the CEO approve it, and the printable 审批单 shows
all three signatures with their times."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from xietong.desk.testing import PASSWORD, chromium, record_csp_violations
from xietong.policy.calendar import SHANGHAI

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


def _approve(page, base: str, username: str, comment: str) -> None:
    _login(page, base, username)
    # 我的待办 lists the step waiting for this approver.
    _submit(page, page.locator("#to-approve a", has_text="采购高精度示波器"))
    page.fill("#id_approve-comment", comment)
    _submit(page, page.locator("form[data-action=approve] button[type=submit]"))
    assert "已同意" in page.locator(".flash").inner_text()


@pytest.mark.django_db(transaction=True)
def test_an_80000_yuan_purchase_goes_head_finance_ceo_and_prints_all_three(live_server, browser_page):
    from xietong.approvals import services
    from xietong.approvals.bundled import bundled_template, fill_thresholds
    from xietong.approvals.models import Approval
    from xietong.desk.testing import build_test_org, make_person
    from xietong.org.models import Department, Role
    from xietong.policy.services import policy_install_preset

    page = browser_page
    base = live_server.url
    with time_machine.travel(START, tick=True):
        torg = build_test_org(now=START)
        rd = Department.objects.create(name="研发一部", sort_order=9)
        make_person("rd_head", "韩冰", rd, Role.HEAD, title="研发一部经理")
        make_person("rd_engineer", "朱文博", rd)
        policy = policy_install_preset(name="seed03-activity", now=START)
        fill_thresholds(policy, actor=torg.coordinator, now=START, finance=10_000, ceo=50_000)
        template = services.template_create(
            actor=torg.coordinator,
            now=START,
            key="equipment-purchase",
            name="设备采购审批",
            policy=policy,
            text=bundled_template("equipment-purchase"),
        )

        # 1. The engineer files the purchase; a negative amount is refused beside the field first.
        _login(page, base, "rd_engineer")
        page.goto(f"{base}/approvals/templates/")
        _submit(page, page.locator(f"a[href='/approvals/templates/{template.pk}/apply/']"))
        page.fill("#id_title", "采购高精度示波器")
        page.fill("#id_amount", "-80000")
        page.fill("#id_purpose", "研发一部新项目联调测试使用")
        _submit(page, page.locator("#apply button[type=submit]"))
        assert page.locator("p.error[data-field=amount]").inner_text() == "金额不能为负数。"
        assert not Approval.objects.exists()
        page.fill("#id_amount", "80000")
        _submit(page, page.locator("#apply button[type=submit]"))
        assert page.locator("#current-step").inner_text() == "部门负责人审批"

        # 2–4. Head → finance → CEO, each from their 我的待办.
        _approve(page, base, "rd_head", "同意，项目急需")
        _approve(page, base, "finance_head", "预算内")
        _approve(page, base, "chair", "同意采购")
        assert page.locator("[data-status]").get_attribute("data-status") == "approved"

        # 5. The applicant prints the 审批单: three signatures, each with its time.
        _login(page, base, "rd_engineer")
        approval = Approval.objects.get()
        page.goto(f"{base}/approvals/{approval.pk}/print/")
        rows = page.locator("#signatures tbody tr")
        assert rows.count() == 3
        texts = [rows.nth(i).inner_text() for i in range(3)]
        assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == ["同意"] * 3
        for text, step, signer in zip(
            texts,
            ("部门负责人审批", "财务部审核", "CEO审批"),
            ("韩冰", "陈财务", "赵总"),
            strict=True,
        ):
            assert step in text and signer in text, text
            assert re.search(r"2026-03-03 \d{2}:\d{2}", text), text
        assert "¥80,000.00" in page.locator("#approval-sheet").inner_text()

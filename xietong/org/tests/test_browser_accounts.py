"""The password reset walked in headless Chromium: the log-in page's link, the request, the
mailed link, the new password, the log-in with it (on a phone-width screen, in Chinese)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from xietong.desk.testing import PASSWORD, build_test_org, chromium, record_csp_violations

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Qiu-fen-2026-lanhua"


def _submit(page, button) -> None:
    with page.expect_navigation(wait_until="load"):
        button.click()


@pytest.mark.django_db(transaction=True)
def test_forgotten_password_journey(live_server, settings):
    settings.SITE_URL = live_server.url
    torg = build_test_org()
    person = torg.tech_liaison
    base = live_server.url
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        violations = record_csp_violations(page)

        page.goto(f"{base}/login/")
        _submit(page, page.locator("#forgot-password"))
        assert page.url == f"{base}/account/password/reset/"
        page.fill("#id_email", person.email)
        _submit(page, page.locator("#password-reset button[type=submit]"))
        assert page.url == f"{base}/account/password/reset/sent/"
        assert page.locator("h1").inner_text() == "请查收邮件"

        [message] = mail.outbox
        assert message.to == [person.email]
        [link] = re.findall(rf"{re.escape(base)}/account/password/reset/\S+/", message.body)
        page.goto(link)
        assert page.url.endswith("/set-password/")
        page.fill("#id_new_password1", "12345678")
        page.fill("#id_new_password2", "12345678")
        _submit(page, page.locator("#set-password button[type=submit]"))
        assert "这个密码太常见了。" in page.locator("[data-field=new_password2]").all_inner_texts()
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        _submit(page, page.locator("#set-password button[type=submit]"))
        assert page.url == f"{base}/login/"
        assert "密码已设置" in page.locator(".flash").inner_text()

        page.fill("#id_username", person.username)
        page.fill("#id_password", PASSWORD)
        _submit(page, page.locator("button[type=submit].primary"))
        assert page.url == f"{base}/login/"  # the old password is gone
        page.fill("#id_username", person.username)
        page.fill("#id_password", NEW_PASSWORD)
        _submit(page, page.locator("button[type=submit].primary"))
        assert page.url == f"{base}/"
        assert page.locator("#me-password").count() == 1  # in the user menu (collapsed on phones)
        # The page fits the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # The mailed link works once.
        page.goto(link)
        assert page.locator("#invalid-link").is_visible()
        context.close()
    assert violations == []

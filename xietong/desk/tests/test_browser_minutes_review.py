"""The host reaches the minutes awaiting their approval from 我的待办 alone (no typed URL beyond
the login page) and approves them on the version page, in headless Chromium."""

from __future__ import annotations

import pytest
import time_machine

from xietong.desk.testing import PASSWORD, build_test_org, chromium, record_csp_violations
from xietong.meetings.tests.factories import sh
from xietong.minutes import services as minutes_services
from xietong.minutes.models import Minutes
from xietong.obligations.models import Obligation, ObligationKind
from xietong.records import services as record_services
from xietong.records.tests.helpers import decide, held_meeting, settle_items

pytestmark = pytest.mark.browser

AFTER = sh(2026, 3, 9, 10, 45)  # the 03-09 meeting (09:00–10:30) is over


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


@pytest.mark.django_db(transaction=True)
def test_the_host_goes_from_my_todo_to_the_minutes_and_approves_them(live_server, browser_page):
    page = browser_page
    base = live_server.url
    with time_machine.travel(AFTER, tick=True):
        org = build_test_org()
        meeting = held_meeting(org, topics=1)
        decide(org, meeting)
        settle_items(org, meeting, outcome="decided")
        record_services.record_close(meeting=meeting, actor=org.recorder, now=AFTER)
        minutes = minutes_services.minutes_draft(meeting=meeting, actor=org.recorder, now=AFTER)
        minutes_services.minutes_submit(minutes=minutes, actor=org.recorder, now=AFTER)

        page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
        page.goto(f"{base}/login/")
        page.fill("#id_username", org.host.username)
        page.fill("#id_password", PASSWORD)
        _submit(page, page.locator("button[type=submit].primary"))
        assert page.url == f"{base}/"

        row = page.locator("#minutes-to-review a", has_text=meeting.title)
        assert "待我审核的会议纪要" in page.locator("#minutes-to-review h2").inner_text()
        _submit(page, row)
        assert page.url == f"{base}/minutes/{minutes.pk}/"
        assert page.locator("#return textarea, #return input[type=text]").count() == 1
        _submit(page, page.locator("#review button.primary"))

        assert page.locator(".flash").count() >= 1
        minutes.refresh_from_db()
        assert minutes.status == Minutes.Status.APPROVED
        duty = Obligation.objects.get(kind=ObligationKind.MINUTES, subject_id=meeting.pk)
        assert duty.closed_at is not None and duty.closed_by == org.host
        page.goto(f"{base}/")
        assert page.locator("#minutes-to-review").count() == 0

"""The inbox in headless Chromium: the nav badge arrives by htmx, reading clears it."""

from __future__ import annotations

import pytest

from xietong.core.tests.test_browser_journey import _login, _submit, browser_page  # noqa: F401
from xietong.meetings.tests.factories import THU_1800, published_meeting
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch

pytestmark = pytest.mark.browser


def test_badge_inbox_and_mark_read(live_server, browser_page, torg):  # noqa: F811
    page = browser_page
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    message = Message.objects.get(recipient=torg.tech_head)
    base = live_server.url
    _login(page, base, torg.tech_head.username)
    page.click("#menu-toggle")  # a 390 px phone: the navigation is folded into the menu
    badge = page.locator("#nav-inbox [data-unread-count]")
    badge.wait_for()
    assert badge.inner_text() == "1"
    _submit(page, page.locator("#nav-inbox"))
    row = page.locator(f'tr[data-message="{message.pk}"]')
    assert "Meeting notice" in row.inner_text() and row.get_attribute("data-unread") is not None
    _submit(page, page.locator("form[action$='/notify/read-all/'] button"))
    assert page.locator(f'tr[data-message="{message.pk}"][data-unread]').count() == 0
    page.wait_for_load_state("networkidle")
    assert page.locator("#nav-inbox [data-unread-count]").count() == 0
    assert Message.objects.get(pk=message.pk).read_at is not None

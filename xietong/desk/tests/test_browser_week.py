"""Each role of the README's demo table walks its week from 我的待办 alone, in headless Chromium,
on a desktop and on a 390 px phone: log in, start at 我的待办 (through the folded menu on the
phone), reach the page where the role's first duty is done only by clicking links, press its
button (filling what the form needs) and see the duty done. No typed URL besides the login page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from xietong.desk.demo_story import EMERGENCY_TITLE
from xietong.desk.management.commands.demo import DEMO_PASSWORD
from xietong.desk.testing import chromium, record_csp_violations
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.browser

# The demo is loaded on a Friday morning of its week (today's emergency meeting at 16:00) and
# walked once that meeting is under way, so the recorder has its record to write up.
FRIDAY = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)
DURING = datetime(2026, 12, 11, 16, 10, tzinfo=SHANGHAI)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(transactional_db, settings):
    # The clock is pinned in the past; keep cookies valid in the real-time browser.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(FRIDAY, tick=False):
        call_command("demo", stdout=io.StringIO())
    with time_machine.travel(DURING, tick=True):
        yield


def _click(page, locator) -> None:
    """Clicks a link or a submit button and waits for the page it leads to."""
    locator.scroll_into_view_if_needed()
    with page.expect_navigation(wait_until="load"):
        locator.click()


def _login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    _click(page, page.locator("button[type=submit].primary"))
    assert page.url == f"{base}/"


def _my_todo(page, base: str, phone: bool) -> None:
    """Opens 我的待办 from the navigation, unfolding the menu first on a phone."""
    toggle = page.locator("#menu-toggle")
    if phone:
        assert toggle.is_visible()
        toggle.click()
    else:
        assert not toggle.is_visible()
    _click(page, page.locator("nav.main a[href='/']"))
    assert page.url == f"{base}/"
    assert page.locator("h1").inner_text() == "我的待办"


def _duty(page, kind: str):
    return page.locator(f"#duties a[data-duty='{kind}']")


# Each role's walk: from 我的待办 to the page where its first duty is done, the duty done there
# and the page showing it so.


def _coordinator(page) -> None:
    """The coming weekly meeting's agenda: built from the triaged topics and confirmed."""
    _click(page, _duty(page, "agenda").first)
    assert re.search(r"/agenda/meeting/\d+/$", page.url)
    _click(page, page.locator("form[action$='/build/'] button[type=submit]"))
    _click(page, page.locator("form[action$='/confirm/'] button[type=submit]"))
    assert page.locator("form[action$='/reopen/'] button").count() == 1


def _host(page) -> None:
    """The latest minutes, waiting for the host: approved and distributed on their version page."""
    link = page.locator("#minutes-to-review a").first
    href = link.get_attribute("href")
    _click(page, link)
    assert page.url.endswith(href)
    _click(page, page.locator(f"form[action='{href}approve/'] button[type=submit]"))
    assert page.locator(f"form[action='{href}approve/']").count() == 0


def _recorder(page) -> None:
    """Today's meeting, under way: its record's agenda item given its outcome."""
    _click(page, page.locator("#records-to-write a", has_text=EMERGENCY_TITLE))
    assert re.search(r"/records/meeting/\d+/$", page.url)
    form = page.locator("form[action^='/records/item/']").first
    form.locator("select[name$='-outcome']").select_option("closed")
    _click(page, form.locator("button[type=submit]"))
    assert page.locator("[data-agenda-item] [data-outcome='closed']").count() == 1


def _head(page) -> None:
    """His centre's topic, sent for his review: approved with a comment on the topic's page."""
    _click(page, _duty(page, "head_review").first)
    assert re.search(r"/topics/\d+/$", page.url)
    form = page.locator("#form-approve")
    form.locator("textarea[name=approve-comment]").fill("同意提交。")
    _click(page, form.locator("button[type=submit]"))
    assert page.locator("#form-approve").count() == 0


def _liaison(page) -> None:
    """研发一部's task from the latest meeting: acknowledged (签收) in the action items list."""
    _click(page, _duty(page, "decision_ack").first)
    assert "/actions/" in page.url
    _click(page, page.locator("#acks form[action^='/actions/acknowledge/'] button").first)
    assert page.locator("#acks form").count() == 0


def _leadership(page) -> None:
    """The resource decision's approval: agreed, with an opinion, on the approval's page."""
    _click(page, _duty(page, "leadership_approval").first)
    assert re.search(r"/approvals/\d+/$", page.url)
    form = page.locator("form[data-action=approve]")
    form.locator("input[name=approve-comment]").fill("同意，按预算列支。")
    _click(page, form.locator("button[type=submit]"))
    assert page.locator("form[data-action=approve]").count() == 0


def _employee(page) -> None:
    """His action item from the latest meeting: work started on its page."""
    _click(page, page.locator("#duties a[data-duty='action_due']").first)
    assert re.search(r"/actions/\d+/$", page.url)
    _click(page, page.locator("form[action$='/start/'] button[type=submit]"))
    assert page.locator("form[action$='/start/']").count() == 0
    assert page.locator("form[action$='/complete/']").count() == 1


# role → (the README's login, the row of 我的待办 the walk starts from, the walk, whether the row
# leaves 我的待办 once the duty is done: the recorder's record stays until the meeting's record is
# complete, the employee's item until it is done).
ROLES: dict[str, tuple[str, str, Callable[..., None], bool]] = {
    "coordinator": ("chenjing", "#duties a[data-duty='agenda']", _coordinator, True),
    "host": ("liuyang", "#minutes-to-review a", _host, True),
    "recorder": ("zhaoxue", "#records-to-write a", _recorder, False),
    "head": ("weidong", "#duties a[data-duty='head_review']", _head, True),
    "liaison": ("zhuwenbo", "#duties a[data-duty='decision_ack']", _liaison, True),
    "leadership": ("zhangjianguo", "#duties a[data-duty='leadership_approval']", _leadership, True),
    "employee": ("panwei", "#duties a[data-duty='action_due']", _employee, False),
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_role_does_its_first_duty_from_my_todo_by_clicking_only(live_server, demo, viewport):
    phone = viewport is PHONE
    base = live_server.url
    with chromium() as browser:
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        violations = record_csp_violations(page)
        for role, (username, row, walk, leaves) in ROLES.items():
            _login(page, base, username)
            _my_todo(page, base, phone)
            assert page.locator(row).count() >= 1, role
            walk(page)
            assert page.locator(".errors, [role=alert]").count() == 0, role
            _my_todo(page, base, phone)
            if leaves:
                assert page.locator(row).count() == 0, role
        context.close()
    assert violations == []

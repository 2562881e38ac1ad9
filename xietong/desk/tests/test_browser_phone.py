"""The product on a 390 px phone, in headless Chromium: each role's main pages fit the screen's
width (no sideways scrolling), the navigation folds into a menu that opens and shows its links,
and data tables read as cards of "label：value" lines. On a desktop the menu stays spread out."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from xietong.desk.management.commands.demo import DEMO_PASSWORD
from xietong.desk.testing import chromium, record_csp_violations
from xietong.meetings.models import Meeting
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.browser

# A Friday of the demo's week: every kind of page has something on it.
FRIDAY = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)
PHONE = {"width": 390, "height": 844}

# The demo's people by role and the main pages each of them works from (besides 我的待办).
ROLES = {
    "coordinator": (
        "chenjing",
        [
            "/topics/",
            "/meetings/",
            "/actions/",
            "/minutes/archive/",
            "/approvals/",
            "/obligations/board/",
            "/notify/",
            "/org/people/",
            "/policy/",
            "/policy/calendar/",
        ],
    ),
    "host": ("liuyang", ["/topics/", "/meetings/", "/actions/", "/minutes/archive/"]),
    "recorder": ("zhaoxue", ["/meetings/", "/minutes/archive/", "/actions/"]),
    "head": ("weidong", ["/topics/", "/actions/", "/approvals/", "/obligations/department/"]),
    "liaison": ("zhuwenbo", ["/topics/", "/actions/", "/approvals/mine/"]),
    "leadership": ("zhangjianguo", ["/approvals/", "/obligations/leadership/", "/minutes/archive/"]),
    "employee": ("panwei", ["/topics/", "/minutes/archive/", "/actions/"]),
}


@pytest.fixture
def demo(transactional_db, settings):
    # The clock is pinned in the past; keep cookies valid in the real-time browser.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(FRIDAY, tick=True):
        call_command("demo", stdout=io.StringIO())
        yield


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page, record_csp_violations(page)


def _login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.locator("button[type=submit].primary").click()
    assert page.url == f"{base}/"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _open_menu_and_read_links(page) -> list[str]:
    """Opens the phone menu and returns the navigation's links, each checked visible."""
    links = page.locator("nav.main a")
    assert not links.first.is_visible()  # folded away until asked for
    toggle = page.locator("#menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    hrefs = []
    for i in range(links.count()):
        assert links.nth(i).is_visible()
        hrefs.append(links.nth(i).get_attribute("href"))
    assert page.locator("#me-password").is_visible()
    assert _fits(page)  # the open menu too
    return hrefs


def _meeting_pages() -> list[str]:
    past = Meeting.objects.filter(status=Meeting.Status.PUBLISHED).order_by("-starts_at").first()
    coming = Meeting.objects.filter(status=Meeting.Status.PLANNED).order_by("starts_at").first()
    return [
        f"/meetings/{past.pk}/",
        f"/meetings/{past.pk}/notice/",
        f"/records/meeting/{past.pk}/",
        f"/minutes/meeting/{past.pk}/",
        f"/agenda/meeting/{coming.pk}/",
    ]


def test_each_roles_main_pages_fit_a_phone_and_the_menu_opens(live_server, demo, browser):
    # One demo organisation for all the roles: it takes a while to load.
    page, violations = _page(browser, PHONE)
    base = live_server.url
    overflowing = []
    for role, (username, paths) in ROLES.items():
        if role == "coordinator":
            paths = [*paths, *_meeting_pages()]
        _login(page, base, username)
        if not _fits(page):
            overflowing.append((role, "/"))
        nav = _open_menu_and_read_links(page)
        assert "/" in nav and "/topics/" in nav, role
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response.status < 400, (role, path)
            assert page.locator("#menu-toggle").is_visible(), (role, path)
            if not _fits(page):
                overflowing.append((role, path))
    assert overflowing == []
    assert violations == []


def test_a_data_table_reads_as_cards_with_labels_on_a_phone(live_server, demo, browser):
    page, violations = _page(browser, PHONE)
    _login(page, live_server.url, "chenjing")
    page.goto(f"{live_server.url}/topics/")
    table = page.locator("table.cards")
    assert not table.locator("thead").is_visible() or table.locator("thead").bounding_box()["height"] <= 1
    cell = table.locator("tbody tr").first.locator("td[data-label]").nth(1)
    assert cell.get_attribute("data-label") == "科室"
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"科室："'
    assert violations == []


def test_on_a_desktop_the_navigation_is_spread_out(live_server, demo, browser):
    page, violations = _page(browser, {"width": 1280, "height": 900})
    _login(page, live_server.url, "chenjing")
    assert not page.locator("#menu-toggle").is_visible()
    assert page.locator("nav.main a[href='/topics/']").is_visible()
    page.goto(f"{live_server.url}/topics/")
    cell = page.locator("table.cards td[data-label]").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"
    assert page.locator("table.cards thead").is_visible()
    assert violations == []

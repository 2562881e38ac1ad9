"""The printed minutes in Chromium: from the version page to the print view, printed to PDF
with the official layout — the four heading levels, the task table and “— n —” page numbers."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime

import pytest
import time_machine

from xietong.core.tests.test_browser_journey import _login, browser_page  # noqa: F401
from xietong.policy.calendar import SHANGHAI

from .minutes_samples import BODY, require_tool

pytestmark = pytest.mark.browser
AFTER = datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db(transaction=True)
def test_chair_prints_approved_minutes_as_an_official_document(live_server, browser_page, tmp_path):  # noqa: F811
    from xietong.desk.testing import build_test_org
    from xietong.meetings.tests.factories import published_meeting
    from xietong.minutes import services

    page = browser_page
    base = live_server.url
    with time_machine.travel(AFTER, tick=True):
        torg = build_test_org(now=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))
        meeting = published_meeting(torg, topics=2)
        minutes = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
        minutes = services.minutes_save(
            minutes=minutes, body=BODY, expected_version=1, actor=torg.recorder, now=AFTER
        )
        minutes = services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
        minutes = services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
        _login(page, base, "chair")
        page.goto(f"{base}/minutes/{minutes.pk}/")
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("link", name="Print").click()
        assert page.url == f"{base}/minutes/{minutes.pk}/print/"
        levels = page.locator(".doc-heading").evaluate_all("els => els.map(e => e.dataset.level)")
        assert {"1", "2", "3", "4"} <= set(levels)
        assert page.locator(".doc-table th").all_inner_texts() == [
            "序号",
            "任务",
            "负责部门",
            "负责人",
            "完成时限",
        ]
        assert page.locator(".doc-title").evaluate("e => getComputedStyle(e).textAlign") == "center"
        assert int(page.locator(".doc-title").evaluate("e => getComputedStyle(e).fontWeight")) >= 700
        pdf = tmp_path / "print.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), prefer_css_page_size=True)
    text = subprocess.run(
        [require_tool("pdftotext", "poppler-utils"), "-layout", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    pages = [p for p in text.split("\f") if p.strip()]
    assert re.search(r"—\s*1\s*—", pages[0])
    flat = re.sub(r"\s+", "", text)
    assert "（一）议定事项" in flat and "（1）涉及资源：资金，50,000元" in flat and "三、下次会议" in flat
    assert "](" not in flat

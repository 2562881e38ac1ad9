"""The coordinator moves meetings in headless Chromium: the reschedule form's confirm step (replies
reset, inside the notice lead time) and a series meeting generated on 国庆 moved to the next
working day with one button."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from xietong.core.tests.test_browser_journey import _login, _submit, browser_page  # noqa: F401
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.browser


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_coordinator_confirms_a_move_and_takes_a_meeting_off_a_holiday(live_server, browser_page):  # noqa: F811
    from xietong.desk.testing import build_test_org
    from xietong.meetings.models import Meeting, Rsvp
    from xietong.meetings.services import rsvp_answer
    from xietong.meetings.tests.factories import published_meeting

    page = browser_page
    base = live_server.url
    torg = build_test_org(now=sh(2026, 1, 5, 9, 0))
    meeting = published_meeting(torg)
    rsvp = meeting.rsvps.get(invitee=torg.market_head)
    rsvp_answer(rsvp=rsvp, response="attend", actor=torg.market_head, now=sh(2026, 3, 5, 19, 0))

    # Thursday evening: moving Monday's meeting to Friday 15:00 is inside the notice lead time.
    with time_machine.travel(sh(2026, 3, 5, 20, 0), tick=True):
        _login(page, base, "coord")
        page.goto(f"{base}/meetings/{meeting.pk}/")
        page.fill("#id_starts_at", "2026-03-06T15:00")
        _submit(page, page.locator("#reschedule form:not(.inline) button[type=submit]"))
        confirm = page.locator("#reschedule-confirm")
        assert confirm.count() == 1
        assert confirm.locator("[data-warning='replies_reset']").count() == 1
        assert "第五条(二)1" in confirm.locator("[data-warning='inside_notice_lead']").inner_text()
        assert Meeting.objects.get(pk=meeting.pk).starts_at == sh(2026, 3, 9, 9, 0)
        _submit(page, page.locator("#confirm-reschedule"))
        assert page.url == f"{base}/meetings/{meeting.pk}/"
        assert "new notice" in page.locator(".flash.success").inner_text()
        assert "2026-03-06 15:00" in page.locator("#facts").inner_text()
    meeting.refresh_from_db()
    assert meeting.starts_at == sh(2026, 3, 6, 15, 0)
    assert not meeting.rsvps.exclude(response=Rsvp.Response.PENDING).exists()

    # Monday 28 September: the series' next meeting falls on 5 October, 国庆.
    with time_machine.travel(sh(2026, 9, 28, 10, 0), tick=True):
        _login(page, base, "coord")
        page.goto(f"{base}/meetings/")
        _submit(page, page.locator(f"form[action$='/series/{torg.series.pk}/next/'] button[type=submit]"))
        assert "2026-10-08 09:00" in page.locator(".flash.warning").first.inner_text()
        holiday = page.locator("#closed-day")
        assert "National Day" in holiday.inner_text()
        _submit(page, page.locator("#use-next-working-day"))
        assert page.locator("#closed-day").count() == 0
        assert "2026-10-08 09:00" in page.locator("#facts").inner_text()
    moved = Meeting.objects.get(series=torg.series, occurrence=sh(2026, 10, 5, 9, 0))
    assert moved.starts_at == sh(2026, 10, 8, 9, 0)
    assert not Meeting.objects.filter(starts_at=sh(2026, 10, 5, 9, 0)).exists()

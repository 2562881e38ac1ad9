"""The Thursday-to-notice half of a week, walked in headless Chromium.

liaison drafts → head approves → liaison submits → coordinator triages → agenda is built,
confirmed and published → an invitee answers the notice.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from xietong.desk.testing import PASSWORD, chromium, record_csp_violations
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.browser

# Thursday 5 March 2026, 10:30: the topic window (第六条1, 10:00-17:00) is open; the next
# meeting is Monday 9 March, with the head's 12:00 and the liaison's 15:00 cut-offs still ahead.
START = datetime(2026, 3, 5, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture
def browser_page(settings):
    # The clock is pinned in the past; keep cookies valid in the real-time browser.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(30_000)
        violations = record_csp_violations(page)
        yield page
        context.close()
        assert violations == []


def _login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    _submit(page, page.locator("button[type=submit].primary"))
    assert page.url == f"{base}/"


def _submit(page, button) -> None:
    """Click a submit button and wait for the page the POST leads to."""
    with page.expect_navigation(wait_until="load"):
        button.click()


def _post(page, action_suffix: str) -> None:
    _submit(page, page.locator(f"form[action$='{action_suffix}'] button[type=submit]"))


@pytest.mark.django_db(transaction=True)
def test_thursday_to_notice_journey(live_server, browser_page):
    from xietong.desk.testing import build_test_org
    from xietong.meetings.models import Meeting, Rsvp
    from xietong.obligations.models import Obligation
    from xietong.topics.models import Topic

    page = browser_page
    base = live_server.url
    with time_machine.travel(START, tick=True):
        torg = build_test_org(now=START)

        # 1. The technology liaison drafts a topic with the fields of 第六条.
        _login(page, base, "tech_liaison")
        page.goto(f"{base}/topics/new/")
        page.fill("#id_title", "新版报销系统上线需要财务与市场协同")
        page.fill("#id_background", "报销系统将于下月切换，旧流程停止使用。")
        page.fill("#id_collaboration_need", "需要市场部配合培训销售人员，财务部提供科目对照。")
        page.locator("#id_departments_involved label", has_text="市场部").click()
        page.fill("#id_expected_outcome", "上线首周报销单无退回。")
        page.fill("#id_initial_solution", "分两批培训，设置答疑群。")
        _submit(page, page.locator("form.card button[type=submit]"))
        assert re.search(r"/topics/\d+/$", page.url)
        topic = Topic.objects.get()
        assert topic.status == Topic.Status.DRAFT
        _post(page, f"/topics/{topic.pk}/send-review/")
        topic.refresh_from_db()
        assert topic.status == Topic.Status.IN_REVIEW

        # 2. The head sees it in 我的待办 and approves it.
        _login(page, base, "tech_head")
        page.click(f"a[href='/topics/{topic.pk}/']")
        page.wait_for_url(f"{base}/topics/{topic.pk}/")
        _post(page, f"/topics/{topic.pk}/approve/")
        topic.refresh_from_db()
        assert topic.status == Topic.Status.APPROVED

        # 3. The liaison submits it before the Thursday 15:00 cut-off.
        _login(page, base, "tech_liaison")
        page.goto(f"{base}/topics/{topic.pk}/")
        _post(page, f"/topics/{topic.pk}/submit/")
        topic.refresh_from_db()
        assert topic.status == Topic.Status.SUBMITTED
        submission = Obligation.objects.get(kind="submission", subject_id=topic.pk)
        assert submission.state == Obligation.State.MET

        # 4. The coordinator triages it.
        _login(page, base, "coord")
        page.goto(f"{base}/topics/{topic.pk}/")
        form = page.locator(f"form[action$='/topics/{topic.pk}/triage/']")
        form.locator("select[name$=category]").select_option("resource")
        form.locator("select[name$=priority]").select_option("2")
        form.locator("input[name$=budget_minutes]").fill("20")
        _submit(page, form.locator("button[type=submit]"))
        topic.refresh_from_db()
        assert (topic.status, topic.budget_minutes) == (Topic.Status.TRIAGED, 20)

        # 5. … builds, confirms and publishes the agenda of Monday's meeting.
        meeting = topic.meeting
        page.goto(f"{base}/agenda/meeting/{meeting.pk}/")
        _post(page, f"/agenda/meeting/{meeting.pk}/build/")
        assert page.locator("text=新版报销系统上线需要财务与市场协同").first.is_visible()
        _post(page, f"/agenda/meeting/{meeting.pk}/confirm/")
        _post(page, f"/agenda/meeting/{meeting.pk}/publish/")
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.PUBLISHED
        assert not meeting.is_emergency
        topic.refresh_from_db()
        assert topic.status == Topic.Status.SCHEDULED

        # 6. The market head, invited because 市场部 is involved, answers: absent, with a reason.
        rsvp = Rsvp.objects.get(meeting=meeting, invitee=torg.market_head)
        _login(page, base, "market_head")
        page.click(f"a[href='/meetings/{meeting.pk}/notice/']")
        page.wait_for_url(f"{base}/meetings/{meeting.pk}/notice/")
        form = page.locator(f"form[action$='/meetings/rsvp/{rsvp.pk}/']")
        form.locator("[name$=response][value=absent]").check()
        form.locator("[name$=reason]").fill("出差在外")
        _submit(page, form.locator("button[type=submit]"))
        rsvp.refresh_from_db()
        assert (rsvp.response, rsvp.reason, rsvp.answered_late) == (Rsvp.Response.ABSENT, "出差在外", False)
        # The coordinator's meeting page shows the reply.
        _login(page, base, "coord")
        page.goto(f"{base}/meetings/{meeting.pk}/")
        assert page.locator("text=出差在外").first.is_visible()

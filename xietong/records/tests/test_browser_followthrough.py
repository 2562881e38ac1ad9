"""The follow-through half of a week, walked in headless Chromium.

host records a decision → the owner sees the action item → the liaison reports progress →
it appears in the next agenda's follow-up section → minutes approved and found in the archive.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

# The fixture and the page helpers of the first browser journey (same Chromium, same cookie
# and PostgreSQL teardown handling).
from xietong.core.tests.test_browser_journey import _login, _post, _submit, browser_page  # noqa: F401
from xietong.meetings.tests.factories import sh

pytestmark = pytest.mark.browser

# The meeting of Monday 9 March 2026 runs 09:00–10:30; under seed 01 its minutes are due two
# hours after its end (12:30). The whole follow-through happens that morning.
DECIDING = sh(2026, 3, 9, 9, 40)
REPORTING = sh(2026, 3, 9, 10, 45)
BUILDING = sh(2026, 3, 9, 10, 55)
MINUTING = sh(2026, 3, 9, 11, 5)
DUE = date(2026, 3, 20)
DECISION = "技术部两周内提交停车位改造方案"
NOTE = "方案初稿已完成，待财务部核价"


@pytest.mark.django_db(transaction=True)
def test_decision_to_archive_journey(live_server, browser_page):  # noqa: F811
    from xietong.actions.models import ActionItem, ProgressReport
    from xietong.agenda.models import AgendaItem
    from xietong.desk.testing import build_test_org
    from xietong.minutes.models import Minutes
    from xietong.obligations.models import Obligation
    from xietong.records.models import Decision
    from xietong.records.tests.helpers import held_meeting, items_of

    page = browser_page
    base = live_server.url
    with time_machine.travel(DECIDING, tick=True) as traveller:
        torg = build_test_org()
        meeting = held_meeting(torg)
        first_item = items_of(meeting)[0]

        # 1. The host records a decision for the technology head, with a deadline.
        _login(page, base, "host")
        page.goto(f"{base}/records/meeting/{meeting.pk}/")
        form = page.locator("#decision-form")
        form.locator("[name=text]").fill(DECISION)
        form.locator("[name=agenda_item]").select_option(str(first_item.pk))
        form.locator("[name=department]").select_option(str(torg.departments["tech"].pk))
        form.locator("[name=responsible]").select_option(str(torg.tech_head.pk))
        form.locator("[name=due_on]").fill(DUE.isoformat())
        _submit(page, form.locator("button[type=submit]"))
        assert page.url == f"{base}/records/meeting/{meeting.pk}/"
        decision = Decision.objects.get(meeting=meeting)
        assert (decision.status, decision.responsible_id, decision.due_on, decision.agenda_item_id) == (
            Decision.Status.EFFECTIVE,
            torg.tech_head.pk,
            DUE,
            first_item.pk,
        )
        assert page.locator(f"li[data-decision='{decision.pk}']").is_visible()
        item = ActionItem.objects.get(decision=decision)
        assert (item.owner_id, item.department_id, item.due_on, item.status) == (
            torg.tech_head.pk,
            torg.departments["tech"].pk,
            DUE,
            ActionItem.Status.OPEN,
        )

        # 2. The owner finds it in 我的待办 and in the action-item list.
        _login(page, base, "tech_head")
        assert page.locator(f"#actions a[href='/actions/{item.pk}/']").is_visible()
        page.goto(f"{base}/actions/")
        row = page.locator(f"#actions tr[data-item='{item.pk}']")
        assert row.is_visible()
        assert DUE.isoformat() in row.inner_text()
        row.locator("a").click()
        page.wait_for_url(f"{base}/actions/{item.pk}/")
        assert page.locator("[data-status=open]").is_visible()

        # 3. After the meeting, the technology liaison reports progress on the item's page.
        traveller.move_to(REPORTING)
        _login(page, base, "tech_liaison")
        page.goto(f"{base}/actions/{item.pk}/")
        form = page.locator("form#report")
        form.locator("[name=status]").select_option(ProgressReport.Status.IN_PROGRESS)
        form.locator("[name=note]").fill(NOTE)
        _submit(page, form.locator("button[type=submit]"))
        assert page.url == f"{base}/actions/{item.pk}/"
        report = ProgressReport.objects.get(action_item=item)
        assert (report.status, report.note, report.reporter_id) == (
            ProgressReport.Status.IN_PROGRESS,
            NOTE,
            torg.tech_liaison.pk,
        )
        next_meeting = report.for_meeting
        assert next_meeting.series_id == meeting.series_id
        assert next_meeting.starts_at == sh(2026, 3, 16, 9, 0)
        assert page.locator("#reports", has_text=NOTE).is_visible()
        item.refresh_from_db()
        assert item.status == ActionItem.Status.OPEN  # a report never changes the item

        # 4. The coordinator builds the next meeting's agenda: the follow-up section leads it.
        traveller.move_to(BUILDING)
        _login(page, base, "coord")
        page.goto(f"{base}/agenda/meeting/{next_meeting.pk}/")
        _post(page, f"/agenda/meeting/{next_meeting.pk}/build/")
        followup = AgendaItem.objects.get(agenda__meeting=next_meeting, kind=AgendaItem.Kind.FOLLOW_UP)
        assert followup.position == 1
        entry = page.locator(f"li[data-action='{item.pk}']")
        assert entry.is_visible()
        assert item.title in entry.inner_text()
        assert entry.locator(f"[data-report='{report.pk}']", has_text=NOTE).is_visible()

        # 5. The recorder drafts the minutes from the record and sends them; the host approves.
        traveller.move_to(MINUTING)
        _login(page, base, "recorder")
        page.goto(f"{base}/minutes/meeting/{meeting.pk}/")
        _post(page, f"/minutes/meeting/{meeting.pk}/draft/")
        minutes = Minutes.objects.get(meeting=meeting)
        assert minutes.status == Minutes.Status.DRAFT
        assert DECISION in minutes.body
        assert f"截止日期:{DUE.isoformat()}" in minutes.body
        _post(page, f"/minutes/{minutes.pk}/submit/")
        minutes.refresh_from_db()
        assert minutes.status == Minutes.Status.IN_REVIEW

        _login(page, base, "host")
        page.goto(f"{base}/minutes/meeting/{meeting.pk}/")
        _post(page, f"/minutes/{minutes.pk}/approve/")
        minutes.refresh_from_db()
        assert (minutes.status, minutes.approved_by_id) == (Minutes.Status.APPROVED, torg.host.pk)
        duty = Obligation.objects.get(kind="minutes", subject_id=meeting.pk)
        assert duty.state == Obligation.State.MET
        assert page.locator("#current [data-status=approved]").is_visible()

        # 6. The approved minutes sit in the archive under 2026 → March → week 11.
        page.goto(f"{base}/minutes/archive/?year=2026&month=3")
        listed = page.locator(f"li[data-minutes='{minutes.pk}']")
        assert listed.is_visible()
        assert page.locator("[data-year='2026'] [data-month='3']").is_visible()
        assert page.locator("[data-week='11']").is_visible()
        listed.locator(f"a[href='/minutes/{minutes.pk}/']").click()
        page.wait_for_url(f"{base}/minutes/{minutes.pk}/")
        assert page.locator("text=" + DECISION).first.is_visible()

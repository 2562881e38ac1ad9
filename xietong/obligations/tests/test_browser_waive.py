"""The coordinator's board in Chromium: a red duty, waived with a reason, leaves the board."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from xietong.core.tests.test_browser_journey import _login, _submit, browser_page  # noqa: F401
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.browser
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)


def test_coordinator_waives_a_late_duty_from_the_board(live_server, browser_page):  # noqa: F811
    from xietong.core.models import Event
    from xietong.desk.testing import build_test_org
    from xietong.obligations.models import Obligation, ObligationKind
    from xietong.obligations.services import obligation_open
    from xietong.policy.calendar import CalendarResult
    from xietong.policy.selectors import current_version

    page = browser_page
    base = live_server.url
    with time_machine.travel(NOW, tick=True):
        torg = build_test_org(now=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))
        late = obligation_open(
            kind=ObligationKind.ACTION_DUE,
            rule="action_due",
            subject=torg.org,
            due=CalendarResult(datetime(2026, 3, 17, 17, 30, tzinfo=SHANGHAI)),
            policy_version=current_version(torg.policy),
            now=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
            responsible=torg.tech_head,
            department=torg.departments["tech"],
        )
        _login(page, base, "coord")
        page.goto(f"{base}/obligations/board/")
        row = page.locator(f"tr[data-obligation='{late.pk}']")
        assert row.locator("[data-colour='red']").count() == 1
        assert page.locator("#legend").inner_text().count("第五条(二)1") >= 1
        with page.expect_navigation(wait_until="load"):
            row.get_by_role("link", name="Waive").click()
        # An empty reason is refused by the server as well as the browser.
        page.evaluate("document.querySelector('#id_reason').removeAttribute('required')")
        _submit(page, page.locator("#waive button[type=submit]"))
        assert page.locator("p.error[data-field='reason']").count() == 1
        assert Obligation.objects.get(pk=late.pk).state == "pending"
        page.fill("#id_reason", "任务并入新决议")
        _submit(page, page.locator("#waive button[type=submit]"))
        assert page.url == f"{base}/obligations/board/"
        assert page.locator(f"tr[data-obligation='{late.pk}']").count() == 0
        assert page.locator("#board-empty").count() == 1
    late.refresh_from_db()
    assert (late.state, late.note) == ("waived", "任务并入新决议")
    assert Event.objects.filter(name="obligation.waived", subject_id=late.pk).count() == 1

"""The recorder marks a 30-person attendance table in headless Chromium and saves it once;
the minutes drafted from the record show each invitee's status."""

from __future__ import annotations

import pytest
import time_machine

# The fixture and the page helpers of the first browser journey (same Chromium, same cookie
# and PostgreSQL teardown handling).
from xietong.core.tests.test_browser_journey import _login, _post, _submit, browser_page  # noqa: F401
from xietong.meetings.tests.factories import THU_1600, sh

pytestmark = pytest.mark.browser

EARLY = sh(2026, 3, 9, 8, 50)
LATE = sh(2026, 3, 9, 9, 5)
DURING = sh(2026, 3, 9, 9, 40)


@pytest.mark.django_db(transaction=True)
def test_recorder_marks_a_30_person_table_and_the_minutes_show_each_status(live_server, browser_page):  # noqa: F811
    from xietong.desk.testing import build_test_org, make_person
    from xietong.live import services as live_services
    from xietong.meetings import services as meeting_services
    from xietong.meetings.models import Rsvp
    from xietong.meetings.tests.factories import confirmed_meeting
    from xietong.records.models import Attendance

    page = browser_page
    base = live_server.url
    with time_machine.travel(DURING, tick=True):
        torg = build_test_org()
        meeting = confirmed_meeting(torg, topics=1)
        meeting_services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1600)
        invited = Rsvp.objects.filter(meeting=meeting).count()
        guests = [
            make_person(f"guest{n}", f"来宾{n:02d}", torg.departments["tech"]) for n in range(30 - invited)
        ]
        for guest in guests:
            Rsvp.objects.create(meeting=meeting, invitee=guest, invited_as=Rsvp.InvitedAs.GUEST)
        # Four guests signed in on their phones: two on time, two late.
        for k, guest in enumerate(guests[:4]):
            live_services.signin_self(meeting=meeting, actor=guest, now=EARLY if k < 2 else LATE)
        # Twenty-three guests the recorder marks by hand, three left unconfirmed.
        plan: dict[int, tuple[str, str]] = {}
        for k, guest in enumerate(guests[4:-3]):
            plan[guest.pk] = [("present", ""), ("late", ""), ("absent", f"病假{k}")][k % 3]
        plan[torg.tech_head.pk] = ("present", "")
        plan[torg.market_head.pk] = ("absent", "出差")
        unconfirmed = guests[-3:]

        _login(page, base, "recorder")
        page.goto(f"{base}/records/meeting/{meeting.pk}/")
        assert page.locator("#attendance tbody tr[data-person]").count() == 30
        # The signed-in rows come pre-filled; the others wait for the recorder.
        assert page.locator(f"[name=a{guests[0].pk}-status]").input_value() == "present"
        assert page.locator(f"[name=a{guests[3].pk}-status]").input_value() == "late"
        assert page.locator(f"tr[data-person='{unconfirmed[0].pk}'][data-unconfirmed]").count() == 1
        for pk, (status, reason) in plan.items():
            page.select_option(f"[name=a{pk}-status]", status)
            if reason:
                page.fill(f"[name=a{pk}-reason]", reason)
        _submit(page, page.locator("#attendance-form button[type=submit]"))
        assert page.url.startswith(f"{base}/records/meeting/{meeting.pk}/")
        recorded = {a.person_id: a for a in Attendance.objects.filter(meeting=meeting)}
        assert len(recorded) == 4 + len(plan)
        for pk, (status, reason) in plan.items():
            assert (recorded[pk].status, recorded[pk].reason) == (status, reason)
        assert all(g.pk not in recorded for g in unconfirmed)
        assert page.locator("[data-attendance=unconfirmed]").count() == 30 - len(recorded)

        # The minutes drafted from the record list every invitee's status.
        page.goto(f"{base}/minutes/meeting/{meeting.pk}/")
        _post(page, f"/minutes/meeting/{meeting.pk}/draft/")
        body = page.locator("#save textarea").input_value()
        lines = {line.split(":")[0]: line for line in body.splitlines() if ":" in line}
        for pk, (status, reason) in plan.items():
            name = recorded[pk].person.full_name
            if status == "absent":
                assert f"{name} ({reason})" in lines["Absent"]
            elif status == "late":
                assert f"{name} (late)" in lines["Attendees"]
            else:
                assert name in lines["Attendees"] and f"{name} (late)" not in lines["Attendees"]
        assert f"{guests[3].full_name} (late)" in lines["Attendees"]
        for guest in unconfirmed:
            assert guest.full_name in lines["Attendance not recorded"]
            assert guest.full_name not in lines["Attendees"]

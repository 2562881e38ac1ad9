"""A live meeting in headless Chromium, five screens at once: the host console, three voters'
phones and the projector. Pages come from the test server (WSGI), the WebSockets from a real
uvicorn serving ``xietong.asgi`` on its own port — the way ``xietong serve`` runs them.

Sign-in from the phones, a timed speech with the countdown on the projector, a named vote
that passes and a secret vote that fails (its count hidden until it closes).
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from xietong.desk.testing import chromium, record_csp_violations
from xietong.live import tokens
from xietong.live.models import Ballot, Speech, Vote

from .helpers import live_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ON_THE_DAY = "2026-03-09 00:50:00+00:00"  # 08:50 in Shanghai, before the 09:00 start
VOTE_RULES = {
    "majority_method": {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)", "value": "simple"},
    "min_agree_votes": {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)", "count": 2},
    "speaking_limit": {"clause": "《跨部门业务协调会议的标准流程与措施》三、(一)1", "minutes": 3},
}
CSP_VIOLATIONS: list[str] = []
VOTERS = ("tech_head", "market_head", "finance_head")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_ws(settings):
    """uvicorn serving the ASGI app in a thread of this process (same test database)."""
    import uvicorn

    from xietong.asgi import application

    if django_settings.REDIS_URL:
        # Groups are named after meeting ids, which every test database starts from 1: tests
        # running at the same time on one Redis each get their own key prefix.
        from xietong.live.layers import redis_layer

        prefix = f"xt-test-{uuid.uuid4().hex[:12]}"
        settings.CHANNEL_LAYERS = {"default": redis_layer(django_settings.REDIS_URL, prefix=prefix)}
    port = free_port()
    settings.LIVE_BIND = f"127.0.0.1:{port}"
    settings.LIVE_WS_URL = ""
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            ws="websockets-sansio",
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    CSP_VIOLATIONS.clear()
    with chromium() as browser:
        yield browser
    assert CSP_VIOLATIONS == []  # the live room's WebSocket and scripts pass the page's policy


def open_screen(browser, base: str, path: str, person=None, *, width=390):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    cookies = [{"name": "django_language", "value": "en", "url": base}]
    if person is not None:
        client = Client()
        client.force_login(person)
        name = django_settings.SESSION_COOKIE_NAME
        cookies.append({"name": name, "value": client.cookies[name].value, "url": base})
    context.add_cookies(cookies)
    page = context.new_page()
    record_csp_violations(page, into=CSP_VIOLATIONS)
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(base + path)
    page.wait_for_selector("[data-live-role][data-connected='1']")
    # Commands are accepted once the first state has arrived (the socket opening is not enough:
    # on the Redis layer the snapshot follows the group join a moment later).
    page.wait_for_selector("[data-live-role][data-version]")
    return page


def wait_version(page, at_least: int) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector('[data-live-role]').dataset.version) >= n", arg=at_least
    )


def version_of(page) -> int:
    return int(page.get_attribute("[data-live-role]", "data-version"))


def test_a_meeting_with_five_screens(torg, live_server, live_ws, browser):
    with time_machine.travel(ON_THE_DAY, tick=True):
        meeting = live_meeting(torg, **VOTE_RULES)
        base = live_server.url
        host = open_screen(browser, base, f"/live/{meeting.pk}/host/", torg.host, width=1200)
        phones = {
            key: open_screen(browser, base, f"/live/{meeting.pk}/", getattr(torg, key)) for key in VOTERS
        }
        projector = open_screen(
            browser, base, f"/live/{meeting.pk}/projector/?t={tokens.projector_token(meeting.pk)}", width=1280
        )
        screens = [host, *phones.values(), projector]

        # -- sign-in from the phones, seen on the host console at once
        for phone in phones.values():
            phone.click("[data-cmd=signin_self]")
            phone.wait_for_selector("[data-field=signin-state]:has-text('You are signed in.')")
        host.wait_for_function("() => document.querySelectorAll('[data-list=signed] li').length === 3")
        assert "周技术" in host.inner_text("[data-list=signed]")

        # -- the host starts the meeting and takes up the first item; the projector follows
        host.click("[data-cmd=room_open]")
        host.wait_for_selector("[data-cmd=item_next]:visible")
        host.click("[data-cmd=item_next]")
        first = meeting.agenda.items.order_by("position").first()
        projector.wait_for_selector(f"[data-field=item-title]:has-text('{first.title}')")
        projector.wait_for_selector(f"[data-list=agenda] li.current[data-item='{first.pk}']")
        assert re.fullmatch(r"0:0\d", projector.inner_text("[data-clock=item]")), projector.inner_text(
            "[data-clock=item]"
        )

        # -- a timed speech: asked for on the phone, granted on the console, counted down everywhere
        speaker = phones["tech_head"]
        speaker.click("[data-cmd=floor_request]")
        speaker.wait_for_selector("[data-field=floor-state]:has-text('You are on the speakers')")
        host.wait_for_selector("[data-list=queue] li:has-text('周技术') [data-action=grant]")
        host.click("[data-list=queue] li:has-text('周技术') [data-action=grant]")
        speaker.wait_for_selector("[data-field=floor-state]:has-text('You have the floor.')")
        projector.wait_for_selector("[data-field=speech]:has-text('周技术')")
        countdown = projector.locator("[data-clock=speech]")
        first_reading = countdown.inner_text()
        assert re.fullmatch(r"[23]:\d\d", first_reading), first_reading
        projector.wait_for_function(
            "t => document.querySelector('[data-clock=speech]').textContent !== t", arg=first_reading
        )
        assert countdown.inner_text() < first_reading  # counting down, "2:58" < "2:59"
        host.click("[data-field=speech] button")
        projector.wait_for_selector("[data-field=speech]:has-text('Nobody has the floor.')")
        speech = Speech.objects.get(meeting=meeting)
        assert speech.status == Speech.Status.DONE and speech.limit_seconds == 180
        assert speech.duration_seconds is not None and speech.duration_seconds < 60

        # -- a named vote that passes
        host.fill("#live-proposal", "同意停车位改造方案")
        host.click("[data-cmd=vote_open]")
        for phone in phones.values():
            phone.wait_for_selector("[data-field=ballot-buttons]:visible")
        for phone in phones.values():
            phone.click("[data-choice=agree]")
            phone.wait_for_selector("[data-field=ballot-confirm]:has-text('Your ballot: Agree')")
            assert phone.locator("[data-field=ballot-buttons]").is_hidden()
        projector.wait_for_selector("[data-field=vote] [data-tally=agree]:has-text('3')")
        host.wait_for_selector("[data-field=voted-count]:has-text('Voted 3')")
        host.click("[data-cmd-inline=vote_close]")
        projector.wait_for_selector("[data-field=last-result] [data-result=passed]")
        for phone in phones.values():
            phone.wait_for_selector("[data-field=last-result] [data-result=passed]")

        # -- a secret vote that fails: the count stays hidden until it closes
        host.fill("#live-proposal", "追加预算")
        host.check("#live-secret")
        host.click("[data-cmd=vote_open]")
        choices = {"tech_head": "agree", "market_head": "against", "finance_head": "against"}
        for key, choice in choices.items():
            phones[key].wait_for_selector("[data-field=ballot-buttons]:visible")
            phones[key].click(f"[data-choice={choice}]")
            phones[key].wait_for_selector("[data-field=ballot-confirm]:has-text('Your ballot')")
        host.wait_for_selector("[data-field=voted-count]:has-text('Voted 3')")
        assert projector.locator("[data-field=vote] [data-tally]").count() == 0
        assert "shown when the vote closes" in projector.inner_text("[data-field=vote]")
        host.click("[data-cmd-inline=vote_close]")
        projector.wait_for_selector("[data-field=last-result] [data-result=failed]")
        assert "1" in projector.inner_text("[data-field=last-result] [data-tally=agree]")
        assert "2" in projector.inner_text("[data-field=last-result] [data-tally=against]")

        # -- every screen shows the same, current version of the room
        final = version_of(host)
        for page in screens:
            wait_version(page, final)
        named, secret = Vote.objects.filter(meeting=meeting).order_by("id")
        assert (named.passed, named.agree, secret.passed, secret.against) == (True, 3, False, 2)
        assert Ballot.objects.filter(vote=named).count() == 3
        assert not Ballot.objects.filter(vote=secret).exists()
        for page in screens:
            assert page.locator("#live-error").is_hidden()
            page.context.close()


def test_the_console_warns_at_budget_and_overrun_and_a_delegate_picks_a_seat(
    torg, live_server, live_ws, browser
):
    from datetime import date

    from django.utils import timezone

    from xietong.agenda.models import AgendaItem
    from xietong.live import services
    from xietong.org.models import Delegation
    from xietong.records.models import Attendance

    with time_machine.travel(ON_THE_DAY, tick=True) as traveller:
        meeting = live_meeting(torg)
        for principal in (torg.tech_head, torg.market_head):
            Delegation.objects.create(
                principal=principal,
                delegate=torg.tech_deputy,
                starts_on=date(2026, 3, 9),
                ends_on=date(2026, 3, 9),
            )
        first = meeting.agenda.items.order_by("position").first()
        AgendaItem.objects.filter(pk=first.pk).update(budget_minutes=1)  # a tiny budget
        services.room_open(meeting=meeting, actor=torg.host, now=timezone.now())
        services.item_next(meeting=meeting, actor=torg.host, now=timezone.now())
        base = live_server.url
        host = open_screen(browser, base, f"/live/{meeting.pk}/host/", torg.host, width=1200)
        phone = open_screen(browser, base, f"/live/{meeting.pk}/", torg.tech_deputy)
        assert host.locator("[data-warning=item]").is_hidden()

        # 65 s later (server clock): the delegate signs in for the seat chosen on the phone.
        traveller.shift(65)
        phone.wait_for_selector("#live-seat:visible")
        phone.select_option("#live-seat", str(torg.market_head.pk))
        phone.click("[data-cmd=signin_self]")
        phone.wait_for_selector("[data-field=signin-state]:has-text('You are signed in.')")
        assert phone.locator("#live-seat").is_hidden()
        host.wait_for_selector("[data-list=signed] li:has-text('王市场')")
        # The console's clocks follow the server's: the 1-minute budget is reached.
        host.wait_for_selector("[data-warning=item]:visible:has-text('reached its time budget')")
        assert "over" not in host.get_attribute("[data-warning=item]", "class")

        # Another minute on: the next change carries the server's time, the item is over budget.
        traveller.shift(60)
        phone.click("[data-cmd=floor_request]")
        host.wait_for_selector("[data-warning=item].over:visible:has-text('over its time budget')")
        assert host.locator("[data-warning=meeting]").is_hidden()  # far from the 90-minute cap
        a = Attendance.objects.get(meeting=meeting, person=torg.tech_deputy)
        assert a.on_behalf_of == torg.market_head
        for page in (host, phone):
            assert page.locator("#live-error").is_hidden()
            page.context.close()

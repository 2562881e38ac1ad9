"""The meeting page leads to the live room: the host and recorder to their screens, the
participants to their phone, afterwards to the speaking-time report — at no query's cost."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.meetings.tests.factories import sh

from .helpers import live_meeting

BEFORE = sh(2026, 3, 9, 8, 0)
AFTER = sh(2026, 3, 9, 18, 0)


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


def links(client, meeting, at) -> tuple[set[str], list[str]]:
    """The live links the meeting page shows, and the SQL it ran."""
    urls = {
        name: reverse(f"live:{name}", args=[meeting.pk])
        for name in ("host", "desk", "projector", "speaking", "phone")
    }
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    return {name for name, url in urls.items() if f'href="{url}"' in html}, [
        q["sql"] for q in queries.captured_queries
    ]


@pytest.mark.parametrize("who", ["host", "recorder"])
def test_the_host_and_recorder_get_their_screens_and_afterwards_the_report(torg, login, meeting, who):
    shown, sql = links(login(getattr(torg, who)), meeting, BEFORE)
    # The host and recorder are invitees too: they may follow on their phone as well.
    assert shown == {"host", "desk", "projector", "phone"}
    assert not any('"live_' in q for q in sql), "the links must not query the live room"
    shown, _sql = links(login(getattr(torg, who)), meeting, AFTER)
    assert shown == {"host", "desk", "projector", "phone", "speaking"}


@pytest.mark.parametrize("who", ["tech_head", "market_liaison"])
def test_participants_get_the_phone_link_only(torg, login, meeting, who):
    shown, sql = links(login(getattr(torg, who)), meeting, BEFORE)
    assert shown == {"phone"}
    assert not any('"live_' in q for q in sql)


def test_a_delegate_named_on_the_reply_gets_the_phone_link(torg, login, meeting):
    from xietong.meetings.models import Rsvp

    Rsvp.objects.filter(meeting=meeting, invitee=torg.finance_head).update(
        response=Rsvp.Response.DELEGATE, delegate=torg.finance_liaison
    )
    shown, _sql = links(login(torg.finance_liaison), meeting, BEFORE)
    assert shown == {"phone"}


def test_a_cancelled_meeting_has_no_live_links(torg, login, meeting):
    from xietong.meetings.models import Meeting

    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    shown, _sql = links(login(torg.host), meeting, BEFORE)
    assert shown == set()

"""Personal sign-in links: valid from the notice until the meeting's end plus the policy's
grace, once, and only as a pass to that meeting's live room (no login)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.live import roompass, services
from xietong.live.models import SigninLinkUse
from xietong.meetings import services as meeting_services
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import policy_version_with, sh
from xietong.policy.rules import load_preset
from xietong.records.models import Attendance

from .helpers import EARLY, live_meeting

PRESETS = ["seed01-weekly", "seed02-coordination"]


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


def under(meeting, torg, preset: str) -> Meeting:
    """``meeting`` under a fresh version of ``preset``."""
    version = policy_version_with(torg.policy, preset)
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
    meeting.refresh_from_db()
    return meeting


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def test_a_link_minted_before_the_notice_is_refused(torg, meeting, client):
    with time_machine.travel(EARLY - timedelta(days=400), tick=False):
        old = services.signin_link(meeting, torg.tech_head)
    with time_machine.travel(EARLY, tick=False):
        with pytest.raises(DomainError) as err:
            services.signin_with_link(token=token_of(old), now=EARLY)
        assert err.value.code == "link_expired"
        page = client.post(old)
    assert page.status_code == 404 and 'data-signin="error"' in page.content.decode()
    assert not Attendance.objects.exists() and not SigninLinkUse.objects.exists()
    assert "_auth_user_id" not in client.session and roompass.SESSION_KEY not in client.session


@pytest.mark.parametrize("preset", PRESETS)
def test_a_link_works_until_the_end_plus_the_policy_grace_only(torg, meeting, client, preset):
    meeting = under(meeting, torg, preset)
    grace = load_preset(preset).minutes("signin_link_grace")
    assert grace > 0
    deadline = meeting.ends_at + timedelta(minutes=grace)
    assert services.signin_link_expires(meeting) == deadline
    late = services.signin_link(meeting, torg.tech_head)
    in_time = services.signin_link(meeting, torg.market_head)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        page = client.post(late)
    assert page.status_code == 404
    assert not Attendance.objects.exists() and not SigninLinkUse.objects.exists()
    with time_machine.travel(deadline - timedelta(minutes=1), tick=False):
        assert client.post(in_time).status_code == 302
    assert Attendance.objects.get().person == torg.market_head


def test_a_link_signs_in_once_and_opens_only_its_meetings_room(torg, meeting, client):
    other = meeting_services.series_next_meeting(series=torg.series, now=sh(2026, 3, 10, 9, 0))
    assert other.pk != meeting.pk
    path = services.signin_link(meeting, torg.tech_head)
    with time_machine.travel(EARLY, tick=False):
        response = client.post(path)
        assert response.status_code == 302
        assert Attendance.objects.get(meeting=meeting).person == torg.tech_head
        phone = client.get(reverse("live:phone", args=[meeting.pk]))
        assert phone.status_code == 200
        assert f'"me": {torg.tech_head.pk},' in phone.content.decode()
        # Nothing else: the normal login is asked for everywhere outside this room.
        for url in (
            "/",
            "/obligations/leadership/",
            "/notify/robots/",
            reverse("live:phone", args=[other.pk]),
            reverse("live:host", args=[meeting.pk]),
            reverse("live:desk", args=[meeting.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
        again = client.post(path)
    assert again.status_code == 400 and "已被使用" in again.content.decode()
    assert SigninLinkUse.objects.count() == 1 and Attendance.objects.count() == 1


def test_the_pass_ends_with_the_grace(torg, meeting, client):
    path = services.signin_link(meeting, torg.tech_head)
    with time_machine.travel(EARLY, tick=False):
        assert client.post(path).status_code == 302
    after = services.signin_link_expires(meeting) + timedelta(seconds=1)
    with time_machine.travel(after, tick=False):
        response = client.get(reverse("live:phone", args=[meeting.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_phone_logged_in_as_the_person_keeps_its_login(torg, meeting, login):
    client = login(torg.tech_head)
    path = services.signin_link(meeting, torg.tech_head)
    with time_machine.travel(EARLY, tick=False):
        assert client.post(path).status_code == 302
        assert client.session["_auth_user_id"] == str(torg.tech_head.pk)
        assert client.get("/").status_code == 200
    assert Attendance.objects.get().person == torg.tech_head


def test_a_phone_logged_in_as_someone_else_is_refused(torg, meeting, login):
    client = login(torg.market_head)
    path = services.signin_link(meeting, torg.tech_head)
    with time_machine.travel(EARLY, tick=False):
        response = client.post(path)
    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(torg.market_head.pk)
    assert not Attendance.objects.exists() and not SigninLinkUse.objects.exists()

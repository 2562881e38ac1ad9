"""The three live screens as pages: who may open them and what they tell the script."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from xietong.live import tokens

from .helpers import live_meeting


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


def config_of(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script type="application/json" id="live-config">(.*?)</script>', html, re.S)
    assert found, html[:500]
    return json.loads(found.group(1))


def test_the_host_console_opens_for_host_and_recorder_only(torg, meeting, login):
    for person in (torg.host, torg.recorder):
        response = login(person).get(f"/live/{meeting.pk}/host/")
        assert response.status_code == 200
        config = config_of(response)
        assert config["role"] == "host" and config["meeting_id"] == meeting.pk
        assert config["ws_port"] == 8001 and config["ws_path"] == f"/ws/live/{meeting.pk}/"
        assert "/projector/?t=" in response.content.decode()
        qr = re.search(r'<img class="live-qr" data-qr src="([^"]+)"', response.content.decode()).group(1)
        assert login(person).get(qr)["Content-Type"] == "image/svg+xml"
    for person in (torg.tech_head, torg.coordinator):
        assert login(person).get(f"/live/{meeting.pk}/host/").status_code == 403
    assert login(torg.outsider).get(f"/live/{meeting.pk}/host/").status_code == 404


def test_the_phone_page_opens_for_those_who_see_the_meeting(torg, meeting, login):
    response = login(torg.tech_head).get(f"/live/{meeting.pk}/")
    assert response.status_code == 200
    config = config_of(response)
    assert config["role"] == "phone" and config["me"] == torg.tech_head.pk
    assert config["strings"]["agree"]
    assert login(torg.outsider).get(f"/live/{meeting.pk}/").status_code == 404
    assert Client().get(f"/live/{meeting.pk}/").status_code == 302  # to the login page


def test_the_projector_opens_with_its_signed_link_without_login(torg, meeting):
    token = tokens.projector_token(meeting.pk)
    response = Client().get(f"/live/{meeting.pk}/projector/", {"t": token})
    assert response.status_code == 200
    assert config_of(response)["token"] == token
    qr = re.search(r'<img class="live-qr" data-qr src="([^"]+)"', response.content.decode()).group(1)
    assert Client().get(qr.replace("&amp;", "&"))["Content-Type"] == "image/svg+xml"
    other = tokens.projector_token(meeting.pk + 1)
    assert Client().get(f"/live/{meeting.pk}/projector/", {"t": other}).status_code == 403
    assert Client().get(f"/live/{meeting.pk}/projector/", {"t": token[:-2] + "xx"}).status_code == 403


def test_a_configured_websocket_url_is_used_as_is(torg, meeting, login, settings):
    settings.LIVE_WS_URL = "wss://live.example.org"
    config = config_of(login(torg.host).get(f"/live/{meeting.pk}/host/"))
    assert config["ws_url"] == f"wss://live.example.org/ws/live/{meeting.pk}/"
    assert "ws_port" not in config


def test_projector_tokens_are_bound_to_their_meeting():
    token = tokens.projector_token(12)
    assert tokens.projector_meeting_id(token) == 12
    assert tokens.projector_meeting_id(token + "x") is None
    assert tokens.projector_meeting_id("") is None


def test_a_delegate_for_several_invitees_chooses_the_seat_on_the_phone(torg, meeting, login):
    from datetime import date

    from xietong.org.models import Delegation

    for principal in (torg.tech_head, torg.market_head):
        Delegation.objects.create(
            principal=principal,
            delegate=torg.tech_deputy,
            starts_on=date(2026, 3, 9),
            ends_on=date(2026, 3, 9),
        )
    html = login(torg.tech_deputy).get(f"/live/{meeting.pk}/").content.decode()
    select = re.search(r'<select id="live-seat">(.*?)</select>', html, re.S)
    assert select, "the phone offers the seats to choose from"
    assert re.findall(r'<option value="(\d+)">', select.group(1)) == [
        str(torg.tech_head.pk),
        str(torg.market_head.pk),
    ]
    # One seat: nothing to choose, the button signs in for it.
    assert 'id="live-seat"' not in login(torg.tech_head).get(f"/live/{meeting.pk}/").content.decode()

"""The live room's WebSocket, through the real ASGI application (auth, origin check, routing),
on the in-memory channel layer and on the Redis layer (local Redis, a fresh prefix per test).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.test import Client

from xietong.live import services, tokens
from xietong.live.layers import redis_layer
from xietong.live.models import Ballot, Room, Vote, VoteParticipation
from xietong.meetings import services as meeting_services

from .helpers import INVITEES, live_meeting
from .wsclient import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

# Monday 2026-03-09, 09:05 Shanghai: the published weekly meeting's day, after its start.
ON_THE_DAY = "2026-03-09 01:05:00+00:00"
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
REDIS_URL = "redis://127.0.0.1:6379/0"
TIMEOUT = 5


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def require_redis() -> None:
    """Skip without a local Redis on a developer's machine; in CI a missing Redis fails."""
    if not redis_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required in CI")
        pytest.skip("no Redis at 127.0.0.1:6379")


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    if request.param == "redis":
        require_redis()
        # The product's configuration (xietong.live.layers), with a prefix of its own.
        settings.CHANNEL_LAYERS = {
            "default": redis_layer(REDIS_URL, prefix=f"xt-test-{uuid.uuid4().hex[:12]}")
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return request.param


@pytest.fixture
def day():
    with time_machine.travel(ON_THE_DAY, tick=True):
        yield


@pytest.fixture
def meeting(torg, day):
    return live_meeting(torg)


def cookie_for(person) -> bytes:
    client = Client()
    client.force_login(person)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(
    meeting, person=None, *, token: str | None = None, origin=ORIGIN, language: str | None = None
) -> WebsocketCommunicator:
    from xietong.asgi import application

    path = f"/ws/live/{meeting.pk}/" + (f"?t={token}" if token else "")
    headers = [origin] if origin else []
    if person is not None:
        cookie = cookie_for(person)
        if language:
            cookie += f"; {django_settings.LANGUAGE_COOKIE_NAME}={language}".encode()
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


async def state_of(comm) -> dict:
    message = await comm.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "state", message
    return message["state"]


async def reply_of(comm) -> dict:
    message = await comm.receive_json_from(timeout=TIMEOUT)
    assert message["type"] in ("ok", "error"), message
    return message


async def close_layer() -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if hasattr(layer, "close_pools"):
        await layer.flush()
        await layer.close_pools()


def run(scenario):
    async def wrapped():
        try:
            await scenario()
        finally:
            await close_layer()

    async_to_sync(wrapped)()


def room_version(meeting) -> int:
    return Room.objects.get_or_create(meeting=meeting)[0].version


# ---- who may connect -------------------------------------------------------------------------


def test_anonymous_and_uninvited_people_are_refused(torg, meeting, layer):
    forged = tokens.projector_token(meeting.pk + 1)

    async def scenario():
        for comm in (
            communicator(meeting),
            communicator(meeting, torg.outsider),
            communicator(meeting, token=forged),
            communicator(meeting, token="not-a-token"),
        ):
            connected, _code = await comm.connect(timeout=TIMEOUT)
            assert not connected
        # A page from another site may not open the socket with the user's cookie.
        comm = communicator(meeting, torg.host, origin=(b"origin", b"http://evil.example"))
        connected, _code = await comm.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_the_projector_link_follows_read_only(torg, meeting, layer):
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    before = room_version(meeting)

    async def scenario():
        projector = communicator(meeting, token=tokens.projector_token(meeting.pk))
        connected, _ = await projector.connect(timeout=TIMEOUT)
        assert connected
        state = await state_of(projector)
        assert state["version"] == before and state["meeting"]["started_at"]
        await projector.send_json_to({"cmd": "item_next", "args": {}, "version": before})
        reply = await reply_of(projector)
        assert reply["type"] == "error" and reply["code"] == "forbidden"
        # It still follows the room: the host's change reaches it.
        host = communicator(meeting, torg.host)
        assert (await host.connect(timeout=TIMEOUT))[0]
        await state_of(host)
        await host.send_json_to({"cmd": "item_next", "args": {}, "version": before})
        assert (await reply_of(host))["type"] == "ok"
        state = await state_of(projector)
        assert state["version"] == before + 1 and state["current_item"]
        await projector.disconnect()
        await host.disconnect()

    run(scenario)


# ---- state, broadcast, reconnect ------------------------------------------------------------


def test_every_screen_gets_each_change_and_a_reconnect_sees_the_current_state(torg, meeting, layer):
    for key in ("tech_head", "market_head"):
        services.signin_self(meeting=meeting, actor=getattr(torg, key), now=meeting.starts_at)
    v0 = room_version(meeting)

    async def scenario():
        from channels.layers import get_channel_layer

        expected = {"memory": "InMemoryChannelLayer", "redis": "RedisChannelLayer"}[layer]
        assert type(get_channel_layer()).__name__ == expected
        host = communicator(meeting, torg.host)
        phone = communicator(meeting, torg.tech_head)
        for comm in (host, phone):
            connected, _ = await comm.connect(timeout=TIMEOUT)
            assert connected
            state = await state_of(comm)
            assert state["version"] == v0
            assert state["meeting"]["started_at"] is None
            assert {row["name"] for row in state["signed_in"]} == {"周技术", "王市场"}

        await host.send_json_to({"cmd": "room_open", "args": {}, "version": v0, "ref": 7})
        reply = await reply_of(host)
        assert reply == {"type": "ok", "cmd": "room_open", "ref": 7}
        for comm in (host, phone):
            state = await state_of(comm)
            assert state["version"] == v0 + 1 and state["meeting"]["started_at"]

        # The phone drops; the host moves on and a speaker asks for the floor meanwhile.
        await phone.disconnect()
        await host.send_json_to({"cmd": "item_next", "args": {}, "version": v0 + 1})
        assert (await reply_of(host))["type"] == "ok"
        await state_of(host)
        await database_sync_to_async(services.floor_request)(
            meeting=meeting, actor=torg.market_head, now=meeting.starts_at
        )
        await state_of(host)

        phone = communicator(meeting, torg.tech_head)
        assert (await phone.connect(timeout=TIMEOUT))[0]
        state = await state_of(phone)
        assert state["version"] == v0 + 3
        assert state["current_item"]["id"] == state["items"][0]["id"]
        assert [row["person"] for row in state["queue"]] == ["王市场"]
        assert await phone.receive_nothing(timeout=0.2)
        await phone.disconnect()
        await host.disconnect()

    run(scenario)


def test_a_stale_host_tab_is_refused_and_nothing_changes(torg, meeting, layer, caplog):
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v1 = room_version(meeting)

    async def scenario():
        tab_a = communicator(meeting, torg.host)
        tab_b = communicator(meeting, torg.host)
        for comm in (tab_a, tab_b):
            assert (await comm.connect(timeout=TIMEOUT))[0]
            await state_of(comm)
        await tab_a.send_json_to({"cmd": "item_next", "args": {}, "version": v1})
        assert (await reply_of(tab_a))["type"] == "ok"
        await state_of(tab_a)
        await state_of(tab_b)
        # tab B clicks "next" on what it showed before A's change reached it.
        await tab_b.send_json_to({"cmd": "item_next", "args": {}, "version": v1})
        reply = await reply_of(tab_b)
        assert reply["type"] == "error" and reply["code"] == "stale"
        assert reply["error"]
        assert await tab_a.receive_nothing(timeout=0.2)
        await tab_a.disconnect()
        await tab_b.disconnect()

    with caplog.at_level(logging.WARNING):
        run(scenario)
    assert room_version(meeting) == v1 + 1
    assert "stale" in caplog.text


def test_commands_from_non_hosts_are_refused(torg, meeting, layer, caplog):
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=meeting.starts_at)
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    services.item_next(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        phone = communicator(meeting, torg.tech_head, language="en")
        assert (await phone.connect(timeout=TIMEOUT))[0]
        await state_of(phone)
        for cmd, args in (
            ("item_next", {}),
            ("meeting_end", {}),
            ("vote_open", {"proposal": "通过"}),
        ):
            await phone.send_json_to({"cmd": cmd, "args": args, "version": v})
            reply = await reply_of(phone)
            assert reply["type"] == "error" and reply["code"] == "not_host", reply
            assert reply["error"] == "Only the meeting's host may do this."
        assert await phone.receive_nothing(timeout=0.2)
        await phone.disconnect()

    with caplog.at_level(logging.WARNING):
        run(scenario)
    assert room_version(meeting) == v
    assert not Vote.objects.filter(meeting=meeting).exists()
    assert "not_host" in caplog.text


MALFORMED = [
    "not json",
    "[1, 2]",
    '"room_open"',
    "{}",
    '{"cmd": "drop_tables"}',
    '{"cmd": "item_next", "args": []}',
    '{"cmd": "item_next", "args": {"reason": 5}}',
    '{"cmd": "item_next", "args": {"surprise": 1}}',
    '{"cmd": "item_next", "version": "3"}',
    '{"cmd": "item_start", "args": {}}',
    '{"cmd": "item_start", "args": {"item": "1"}}',
    '{"cmd": "item_start", "args": {"item": true}}',
    '{"cmd": "ballot_cast", "args": {"vote": 1, "choice": "maybe"}}',
    '{"cmd": "vote_open", "args": {"proposal": "x", "secret": "yes"}}',
    '{"cmd": "vote_open", "args": {"proposal": "' + "x" * 600 + '"}}',
    "x" * 9000,
]


def test_malformed_messages_are_refused_logged_and_change_nothing(torg, meeting, layer, caplog):
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        host = communicator(meeting, torg.host)
        assert (await host.connect(timeout=TIMEOUT))[0]
        await state_of(host)
        for text in MALFORMED:
            await host.send_to(text_data=text)
            reply = await reply_of(host)
            assert reply["type"] == "error" and reply["error"], (text, reply)
            assert reply["code"] in ("malformed", "too_long"), (text, reply)
        await host.send_to(bytes_data=b"\x00\x01")
        assert (await reply_of(host))["code"] == "malformed"
        # An id of no row of this meeting: refused by the service.
        await host.send_json_to({"cmd": "item_start", "args": {"item": 999999}, "version": v})
        assert (await reply_of(host))["code"] == "not_found"
        # Still connected and still working.
        await host.send_json_to({"cmd": "item_next", "args": {}, "version": v})
        assert (await reply_of(host))["type"] == "ok"
        assert (await state_of(host))["version"] == v + 1
        await host.disconnect()

    with caplog.at_level(logging.WARNING):
        run(scenario)
    # One burst, one line (not one per message).
    lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith(f"live room {meeting.pk}: malformed message from person")


def test_a_flood_of_malformed_messages_is_logged_once_and_closes_the_connection(torg, meeting, caplog):
    async def scenario():
        host = communicator(meeting, torg.host)
        assert (await host.connect(timeout=TIMEOUT))[0]
        await state_of(host)
        for _n in range(500):
            await host.send_to(text_data="not json")
        replies = 0
        while True:
            output = await host.receive_output(timeout=TIMEOUT)
            if output["type"] == "websocket.close":
                break
            assert json.loads(output["text"])["code"] == "malformed"
            replies += 1
        assert output["code"] == 4400
        assert replies == django_settings.LIVE_MALFORMED_LIMIT
        assert await host.receive_nothing(timeout=0.2)
        await host.disconnect()

    with caplog.at_level(logging.WARNING, logger="xietong.live"):
        run(scenario)
    lines = [r for r in caplog.records if r.name.startswith("xietong.live")]
    assert len(lines) <= 2, [r.getMessage() for r in lines]


def test_a_nul_character_in_a_command_is_refused_and_changes_nothing(torg, meeting):
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        host = communicator(meeting, torg.host, language="en")
        assert (await host.connect(timeout=TIMEOUT))[0]
        await state_of(host)
        await host.send_to(text_data='{"cmd":"vote_open","args":{"proposal":"x\\u0000"}}')
        reply = await reply_of(host)
        assert reply["type"] == "error" and reply["code"] == "invalid", reply
        assert reply["error"] == "This text contains a character that is not allowed."
        await host.send_to(text_data='{"cmd":"item_next","args":{"reason":"\\u0000"}}')
        assert (await reply_of(host))["code"] == "invalid"
        # The connection still works.
        await host.send_json_to({"cmd": "vote_open", "args": {"proposal": "通过"}})
        assert (await reply_of(host))["type"] == "ok"
        await host.disconnect()

    run(scenario)
    assert list(Vote.objects.filter(meeting=meeting).values_list("proposal", flat=True)) == ["通过"]
    assert room_version(meeting) == v + 1


# ---- the room pass of a personal sign-in link -------------------------------------------------


def pass_cookie(meeting, person) -> bytes:
    """The session cookie of a phone that used ``person``'s personal link (no login)."""
    client = Client()
    assert client.post(services.signin_link(meeting, person)).status_code == 302
    assert "_auth_user_id" not in client.session
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


def with_cookie(meeting_id: int, cookie: bytes) -> WebsocketCommunicator:
    from xietong.asgi import application

    headers = [ORIGIN, (b"cookie", cookie + f"; {django_settings.LANGUAGE_COOKIE_NAME}=en".encode())]
    return WebsocketCommunicator(application, f"/ws/live/{meeting_id}/", headers=headers)


def test_the_link_pass_queues_and_votes_in_its_room_only(torg, meeting):
    other = meeting_services.series_next_meeting(
        series=torg.series, now=meeting.starts_at + timedelta(days=1)
    )
    assert other.pk != meeting.pk
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    services.item_next(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    vote = services.vote_open(meeting=meeting, actor=torg.host, now=meeting.starts_at, proposal="通过")
    # The host's own link: still no host commands through it.
    host_pass = pass_cookie(meeting, torg.host)
    voter_pass = pass_cookie(meeting, torg.tech_head)
    v = room_version(meeting)

    async def scenario():
        elsewhere = with_cookie(other.pk, voter_pass)
        assert not (await elsewhere.connect(timeout=TIMEOUT))[0]

        phone = with_cookie(meeting.pk, voter_pass)
        assert (await phone.connect(timeout=TIMEOUT))[0]
        await state_of(phone)
        await phone.send_json_to({"cmd": "signin_self", "args": {}})
        assert (await reply_of(phone))["code"] == "already_signed_in"
        await phone.send_json_to({"cmd": "floor_request", "args": {}})
        assert (await reply_of(phone))["type"] == "ok"
        await state_of(phone)
        await phone.send_json_to({"cmd": "ballot_cast", "args": {"vote": vote.pk, "choice": "agree"}})
        assert (await reply_of(phone))["type"] == "ok"
        await state_of(phone)
        await phone.disconnect()

        host = with_cookie(meeting.pk, host_pass)
        assert (await host.connect(timeout=TIMEOUT))[0]
        version = (await state_of(host))["version"]
        for cmd, args in (
            ("item_next", {}),
            ("vote_close", {"vote": vote.pk}),
            ("meeting_end", {}),
            ("floor_withdraw", {"speech": 1}),
        ):
            await host.send_json_to({"cmd": cmd, "args": args, "version": version})
            reply = await reply_of(host)
            assert reply["type"] == "error" and reply["code"] == "forbidden", reply
            assert reply["error"] == "With your personal link you may sign in, ask for the floor and vote."
        assert await host.receive_nothing(timeout=0.2)
        await host.disconnect()

    run(scenario)
    vote.refresh_from_db()
    assert (vote.status, vote.agree) == (Vote.Status.OPEN, 1)
    assert room_version(meeting) == v + 2


# ---- votes over the socket ------------------------------------------------------------------


def test_ballots_over_the_socket_update_every_screen_and_refuse_a_second_ballot(torg, meeting, layer):
    voters = ("tech_head", "market_head", "finance_head")
    for key in voters:
        services.signin_self(meeting=meeting, actor=getattr(torg, key), now=meeting.starts_at)
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    services.item_next(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        host = communicator(meeting, torg.host)
        phones = [communicator(meeting, getattr(torg, key)) for key in voters]
        for comm in (host, *phones):
            assert (await comm.connect(timeout=TIMEOUT))[0]
            await state_of(comm)
        await host.send_json_to(
            {"cmd": "vote_open", "args": {"proposal": "同意方案", "secret": True}, "version": v}
        )
        assert (await reply_of(host))["type"] == "ok"
        vote_id = None
        for comm in (host, *phones):
            vote = (await state_of(comm))["vote"]
            vote_id = vote["id"]
            assert vote["tally"] is None and vote["voted_count"] == 0

        choices = ("agree", "agree", "against")
        for n, (phone, choice) in enumerate(zip(phones, choices, strict=True), start=1):
            await phone.send_json_to({"cmd": "ballot_cast", "args": {"vote": vote_id, "choice": choice}})
            reply = await reply_of(phone)
            assert reply["type"] == "ok" and reply["ballot"] == {"vote": vote_id, "choice": choice}
            for comm in (host, *phones):
                vote = (await state_of(comm))["vote"]
                assert vote["voted_count"] == n and vote["tally"] is None
        assert sorted(vote["voter_ids"]) == sorted(getattr(torg, key).pk for key in voters)

        await phones[0].send_json_to({"cmd": "ballot_cast", "args": {"vote": vote_id, "choice": "against"}})
        reply = await reply_of(phones[0])
        assert reply["type"] == "error" and reply["code"] == "already_voted"
        assert await host.receive_nothing(timeout=0.2)

        await host.send_json_to({"cmd": "vote_close", "args": {"vote": vote_id}, "version": v + 4})
        assert (await reply_of(host))["type"] == "ok"
        for comm in (host, *phones):
            state = await state_of(comm)
            assert state["vote"] is None
            assert state["last_vote"]["tally"] == {"agree": 2, "against": 1, "abstain": 0}
        await phones[1].send_json_to({"cmd": "ballot_cast", "args": {"vote": vote_id, "choice": "agree"}})
        assert (await reply_of(phones[1]))["code"] == "vote_closed"
        for comm in (host, *phones):
            await comm.disconnect()

    run(scenario)
    vote = Vote.objects.get(meeting=meeting)
    assert (vote.agree, vote.against, vote.abstain) == (2, 1, 0)
    assert not Ballot.objects.filter(vote=vote).exists()
    assert VoteParticipation.objects.filter(vote=vote).count() == 3


def test_the_snapshot_is_encoded_once_per_change_not_once_per_screen(torg, meeting, layer, monkeypatch):
    from xietong.live import realtime

    calls = []
    original = realtime.snapshot_text

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(realtime, "snapshot_text", counting)
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        screens = [communicator(meeting, getattr(torg, key)) for key in INVITEES[:5]]
        for comm in screens:
            assert (await comm.connect(timeout=TIMEOUT))[0]
            await state_of(comm)
        calls.clear()
        texts = set()
        await database_sync_to_async(services.item_next)(
            meeting=meeting, actor=torg.host, now=meeting.starts_at
        )
        for comm in screens:
            texts.add(json.dumps((await state_of(comm))["version"]))
            await comm.disconnect()
        assert texts == {str(v + 1)}

    run(scenario)
    assert len(calls) == 1


def test_changes_made_by_another_process_reach_the_screens_on_the_in_memory_layer(
    torg, meeting, monkeypatch, settings
):
    """The sign-in pages run in gunicorn: their broadcast goes to that process's own
    in-memory layer, so the live server notices the room's new version by itself."""
    from xietong.live import realtime

    # The embedded default, even in the run where REDIS_URL selects the Redis layer.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    monkeypatch.setattr(realtime, "WATCH_SECONDS", 0.05)
    v = room_version(meeting)

    def elsewhere():
        # What a page process does: the service commits, its broadcast reaches nobody here.
        with monkeypatch.context() as m:
            m.setattr(realtime, "room_changed", lambda meeting_id: None)
            services.signin_by_recorder(
                meeting=meeting, person=torg.finance_head, actor=torg.recorder, now=meeting.starts_at
            )

    async def scenario():
        host = communicator(meeting, torg.host)
        assert (await host.connect(timeout=TIMEOUT))[0]
        assert (await state_of(host))["version"] == v
        await database_sync_to_async(elsewhere)()
        state = await state_of(host)
        assert state["version"] == v + 1
        assert [row["name"] for row in state["signed_in"]] == ["陈财务"]
        assert await host.receive_nothing(timeout=0.3)  # once, not at every look
        await host.disconnect()
        assert meeting.pk not in realtime._watchers

    run(scenario)


def test_an_idle_screen_keeps_its_socket_on_the_redis_layer(torg, meeting, settings):
    """channels_redis blocks up to 5 s waiting for a message; with redis-py 8's default 5 s
    socket timeout the read would fail and drop every idle screen (xietong.live.layers)."""
    require_redis()
    settings.CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL, prefix=f"xt-test-{uuid.uuid4().hex[:12]}")}
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    v = room_version(meeting)

    async def scenario():
        screen = communicator(meeting, torg.tech_head)
        assert (await screen.connect(timeout=TIMEOUT))[0]
        await state_of(screen)
        assert await screen.receive_nothing(timeout=6.5, interval=0.5)  # idle past 5 s
        await database_sync_to_async(services.item_next)(
            meeting=meeting, actor=torg.host, now=meeting.starts_at
        )
        assert (await state_of(screen))["version"] == v + 1
        await screen.disconnect()

    run(scenario)


def test_the_host_grants_and_reorders_the_speakers_list_over_the_socket(torg, meeting):
    for key in ("tech_head", "market_head", "finance_head"):
        services.signin_self(meeting=meeting, actor=getattr(torg, key), now=meeting.starts_at)
    services.room_open(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    services.item_next(meeting=meeting, actor=torg.host, now=meeting.starts_at)
    for key in ("tech_head", "market_head", "finance_head"):
        services.floor_request(meeting=meeting, actor=getattr(torg, key), now=meeting.starts_at)

    async def scenario():
        host = communicator(meeting, torg.host)
        assert (await host.connect(timeout=TIMEOUT))[0]
        state = await state_of(host)
        assert [row["person"] for row in state["queue"]] == ["周技术", "王市场", "陈财务"]
        last = state["queue"][2]["id"]
        await host.send_json_to(
            {"cmd": "floor_reorder", "args": {"speech": last, "position": 1}, "version": state["version"]}
        )
        assert (await reply_of(host))["type"] == "ok"
        state = await state_of(host)
        assert [row["person"] for row in state["queue"]] == ["陈财务", "周技术", "王市场"]
        await host.send_json_to({"cmd": "floor_grant", "args": {"speech": last}, "version": state["version"]})
        assert (await reply_of(host))["type"] == "ok"
        state = await state_of(host)
        assert state["speech"]["person"] == "陈财务" and state["speech"]["started_at"]
        assert [row["person"] for row in state["queue"]] == ["周技术", "王市场"]
        await host.disconnect()

    run(scenario)


def test_a_delegate_of_two_signs_in_from_the_phone_for_the_seat_chosen(torg, meeting):
    from datetime import date

    from xietong.org.models import Delegation
    from xietong.records.models import Attendance

    for principal in (torg.tech_head, torg.market_head):
        Delegation.objects.create(
            principal=principal,
            delegate=torg.tech_deputy,
            starts_on=date(2026, 3, 9),
            ends_on=date(2026, 3, 9),
        )

    async def scenario():
        phone = communicator(meeting, torg.tech_deputy, language="en")
        assert (await phone.connect(timeout=TIMEOUT))[0]
        await state_of(phone)
        await phone.send_json_to({"cmd": "signin_self", "args": {}})
        reply = await reply_of(phone)
        assert (reply["type"], reply["code"]) == ("error", "choose_principal"), reply
        await phone.send_json_to({"cmd": "signin_self", "args": {"on_behalf_of": torg.finance_head.pk}})
        assert (await reply_of(phone))["code"] == "not_delegate"
        await phone.send_json_to({"cmd": "signin_self", "args": {"on_behalf_of": torg.market_head.pk}})
        assert (await reply_of(phone))["type"] == "ok"
        state = await state_of(phone)
        assert [(s["person_id"], s["delegate_for"]) for s in state["signed_in"]] == [
            (torg.tech_deputy.pk, "王市场")
        ]
        await phone.disconnect()

    run(scenario)
    a = Attendance.objects.get(meeting=meeting)
    assert (a.person, a.on_behalf_of) == (torg.tech_deputy, torg.market_head)


def test_importing_the_live_server_keeps_the_logging_of_its_host_process(caplog):
    """xietong.asgi sets Django up only when nobody has: a second django.setup() would
    reconfigure logging and drop the handlers already installed (pytest's caplog here, the
    server's own elsewhere) — which made the refusal-log assertions above flaky."""
    import importlib

    import xietong.asgi

    root = logging.getLogger()
    handlers = list(root.handlers)
    importlib.reload(xietong.asgi)
    assert root.handlers == handlers
    with caplog.at_level(logging.WARNING):
        logging.getLogger("xietong.live").warning("refusal still captured")
    assert "refusal still captured" in caplog.text

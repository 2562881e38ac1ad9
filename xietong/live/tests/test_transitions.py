"""The live room's transition tables (live.services.TABLES): every command is refused from each
state of the room, an item, a request for the floor or a vote outside its table, with the refusal
it always had, and changes nothing; the screens are given the same tables and the states to read
them against."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.live import commands, selectors, services
from xietong.live.models import Guest, ItemRun, Room, Speech, Vote
from xietong.live.screens import transitions_for_script
from xietong.records.models import Attendance

from .helpers import DURING, EARLY, LATER, OPEN, live_meeting, started

R = Room.Status


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


def _in_state(torg, meeting, status: str):
    if status == R.NOT_STARTED:
        for key in ("tech_head", "market_head"):
            services.signin_self(meeting=meeting, actor=getattr(torg, key), now=EARLY)
    else:
        started(torg, meeting, sign_in=("tech_head", "market_head"))
        if status == R.ENDED:
            services.meeting_end(meeting=meeting, actor=torg.host, now=DURING)
    assert services.room_for(meeting).status == status
    return meeting


def _send(torg, meeting, command: str) -> None:
    """``command`` as the person who may send it, with arguments that pass every other check
    the room's state comes before."""
    host = {"meeting": meeting, "actor": torg.host, "now": LATER}
    first = meeting.agenda.items.order_by("position").first()
    calls = {
        "room_open": lambda: services.room_open(**host),
        "signin_self": lambda: services.signin_self(meeting=meeting, actor=torg.finance_head, now=LATER),
        "signin_by_recorder": lambda: services.signin_by_recorder(
            meeting=meeting, person=torg.finance_head, actor=torg.recorder, now=LATER
        ),
        "guest_admit": lambda: services.guest_admit(name="来宾", **host),
        "item_start": lambda: services.item_start(item=first.pk, **host),
        "item_next": lambda: services.item_next(**host),
        "meeting_end": lambda: services.meeting_end(**host),
        "floor_request": lambda: services.floor_request(meeting=meeting, actor=torg.tech_head, now=LATER),
        "floor_withdraw": lambda: services.floor_withdraw(meeting=meeting, actor=torg.tech_head, now=LATER),
        "floor_grant": lambda: services.floor_grant(speech=999999, **host),
        "floor_reorder": lambda: services.floor_reorder(speech=999999, position=1, **host),
        "speech_end": lambda: services.speech_end(**host),
        "vote_open": lambda: services.vote_open(proposal="采购方案", **host),
    }
    calls[command]()


def _footprint(meeting) -> tuple:
    room = services.room_for(meeting)
    return (
        room.version,
        room.started_at,
        room.ended_at,
        room.current_item_id,
        sorted(ItemRun.objects.filter(room=room).values_list("agenda_item_id", "status")),
        sorted(Speech.objects.filter(meeting=meeting).values_list("id", "status", "order")),
        sorted(Vote.objects.filter(meeting=meeting).values_list("id", "status")),
        Attendance.objects.filter(meeting=meeting).count(),
        Guest.objects.filter(meeting=meeting).count(),
    )


@pytest.mark.parametrize("status", list(R.values))
def test_every_room_command_outside_its_states_is_refused_and_changes_nothing(torg, meeting, status):
    _in_state(torg, meeting, status)
    before = _footprint(meeting)
    refused = 0
    for command, (states, _role) in services.ROOM_TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError) as err:
            _send(torg, meeting, command)
        expected = "already_started" if command == "room_open" else services.rooms.ROOM_REFUSALS[status][1]
        assert err.value.code == expected, command
        assert _footprint(meeting) == before, command
        refused += 1
    assert refused  # each state of the room refuses something


def test_the_rooms_state_is_read_in_one_place(torg, meeting):
    room = services.room_for(meeting)
    assert room.status == R.NOT_STARTED
    assert selectors.room_state(meeting, OPEN)["meeting"]["status"] == R.NOT_STARTED
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    assert services.room_for(meeting).status == R.RUNNING
    assert selectors.room_state(meeting, OPEN)["meeting"]["status"] == R.RUNNING
    services.meeting_end(meeting=meeting, actor=torg.host, now=LATER)
    state = selectors.room_state(meeting, LATER)
    assert (state["meeting"]["status"], state["meeting"]["ended"]) == (R.ENDED, True)


def test_an_item_is_taken_up_only_while_not_yet_discussed(torg):
    """``item_start`` from each state outside the items' table: under discussion, discussed,
    deferred — each with its refusal, nothing changed."""
    meeting = live_meeting(torg, topics=3)
    started(torg, meeting, sign_in=())
    first, second, third = meeting.agenda.items.order_by("position")[:3]
    services.item_next(meeting=meeting, actor=torg.host, now=DURING)  # the first done
    # The second deferred, the third taken up.
    services.item_next(meeting=meeting, actor=torg.host, now=DURING, reason="资料不全")
    runs = {run.agenda_item_id: run.status for run in ItemRun.objects.all()}
    assert runs[first.pk] == ItemRun.Status.DONE
    assert runs[second.pk] == ItemRun.Status.DEFERRED
    assert runs[third.pk] == ItemRun.Status.CURRENT
    codes = {ItemRun.Status.CURRENT: "item_current", ItemRun.Status.DONE: "item_done"}
    codes[ItemRun.Status.DEFERRED] = "item_done"
    assert set(codes) == set(ItemRun.Status.values) - services.ITEM_TRANSITIONS["item_start"].states
    for item in (first, second, third):
        before = _footprint(meeting)
        with pytest.raises(DomainError) as err:
            services.item_start(meeting=meeting, item=item, actor=torg.host, now=LATER)
        assert err.value.code == codes[runs[item.pk]]
        assert _footprint(meeting) == before


def _speech_in(torg, meeting, status: str) -> Speech:
    """A request for the floor in ``status`` (the others on the list: none waiting or speaking)."""
    speech = services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    if status == Speech.Status.WITHDRAWN:
        services.floor_withdraw(meeting=meeting, actor=torg.tech_head, now=DURING)
    elif status != Speech.Status.QUEUED:
        services.floor_grant(meeting=meeting, speech=speech, actor=torg.host, now=DURING)
        if status == Speech.Status.DONE:
            services.speech_end(meeting=meeting, actor=torg.host, now=DURING)
    speech.refresh_from_db()
    assert speech.status == status
    return speech


@pytest.mark.parametrize("status", list(Speech.Status.values))
def test_every_speakers_list_step_outside_its_states_is_refused_and_changes_nothing(torg, meeting, status):
    started(torg, meeting, sign_in=("tech_head",))
    speech = _speech_in(torg, meeting, status)
    host = {"meeting": meeting, "actor": torg.host, "now": LATER}
    steps = {
        "floor_grant": lambda: services.floor_grant(speech=speech.pk, **host),
        "floor_reorder": lambda: services.floor_reorder(speech=speech.pk, position=1, **host),
        "floor_withdraw": lambda: services.floor_withdraw(speech=speech.pk, **host),
        # Ends the speech that has the floor: refused while none has it.
        "speech_end": lambda: services.speech_end(**host),
    }
    assert set(steps) == set(services.SPEECH_TRANSITIONS)
    for action, (states, _role) in services.SPEECH_TRANSITIONS.items():
        if status in states:
            continue
        before = _footprint(meeting)
        with pytest.raises(DomainError) as err:
            steps[action]()
        assert err.value.code == ("no_speech" if action == "speech_end" else "not_queued"), action
        assert _footprint(meeting) == before, action


@pytest.mark.parametrize("status", list(Vote.Status.values))
def test_every_vote_step_outside_its_states_is_refused_and_changes_nothing(torg, meeting, status):
    started(torg, meeting, sign_in=("tech_head", "market_head"))
    vote = services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="采购方案")
    services.ballot_cast(meeting=meeting, vote=vote, actor=torg.tech_head, now=DURING, choice="agree")
    if status == Vote.Status.CLOSED:
        services.vote_close(meeting=meeting, vote=vote, actor=torg.host, now=DURING)
    steps = {
        "ballot_cast": lambda: services.ballot_cast(
            meeting=meeting, vote=vote.pk, actor=torg.market_head, now=LATER, choice="agree"
        ),
        "vote_close": lambda: services.vote_close(meeting=meeting, vote=vote.pk, actor=torg.host, now=LATER),
        "vote_to_decision": lambda: services.vote_to_decision(
            meeting=meeting,
            vote=vote.pk,
            actor=torg.recorder,
            now=LATER,
            text="通过采购方案",
            department=torg.departments["tech"],
            responsible=torg.tech_head,
            due_on=date(2026, 3, 20),
        ),
    }
    assert set(steps) == set(services.VOTE_TRANSITIONS)
    codes = {"ballot_cast": "vote_closed", "vote_close": "vote_closed", "vote_to_decision": "not_passed"}
    for action, (states, _role) in services.VOTE_TRANSITIONS.items():
        if status in states:
            continue
        before = (_footprint(meeting), Vote.objects.filter(pk=vote.pk).values().get())
        with pytest.raises(DomainError) as err:
            steps[action]()
        assert err.value.code == codes[action], action
        assert (_footprint(meeting), Vote.objects.filter(pk=vote.pk).values().get()) == before, action


def test_every_command_a_screen_may_send_is_a_step_of_the_rooms_table():
    assert set(commands.SPECS) <= set(services.ROOM_TRANSITIONS)
    for table in services.TABLES.values():
        for action, (_states, role) in table.items():
            # The same command has the same role in every table it is in.
            assert services.ROOM_TRANSITIONS.get(action, (None, role))[1] == role, action
    # A personal sign-in link never sends a command of the host or the recorder.
    pass_roles = {services.ROOM_TRANSITIONS[c].role for c in commands.PASS_COMMANDS}
    assert pass_roles.isdisjoint({services.HOST, services.RECORDER})


def _config(page: str) -> dict:
    start = page.index('id="live-config"')
    start = page.index(">", start) + 1
    return json.loads(page[start : page.index("</script>", start)])


@pytest.mark.parametrize("who", ["host", "recorder", "tech_head"])
def test_the_screens_read_the_tables_and_the_states(torg, meeting, login, who):
    """The script draws a command's button where the table allows it from the state in the
    snapshot and the viewer holds its role (host, recorder, or an attendee on the phone)."""
    started(torg, meeting, sign_in=("tech_head", "market_head"))
    services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    services.floor_request(meeting=meeting, actor=torg.market_head, now=DURING)
    services.floor_grant(
        meeting=meeting, speech=Speech.objects.get(person=torg.market_head), actor=torg.host, now=DURING
    )
    services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="采购方案")
    person = getattr(torg, who)
    client = login(person)
    screen = "live:phone" if who == "tech_head" else "live:host"
    with time_machine.travel(DURING, tick=False):
        config = _config(client.get(reverse(screen, args=[meeting.pk])).content.decode())
    assert config["me"] == person.pk
    assert config["transitions"] == transitions_for_script()
    for name, table in services.TABLES.items():
        for action, (states, role) in table.items():
            assert config["transitions"][name][action] == {"states": sorted(states), "role": role}
    state = selectors.room_state(meeting, DURING)
    assert state["meeting"]["status"] == R.RUNNING
    assert (state["meeting"]["host_id"], state["meeting"]["recorder_id"]) == (torg.host.pk, torg.recorder.pk)
    assert {i["status"] for i in state["items"]} <= set(ItemRun.Status.values)
    assert [q["status"] for q in state["queue"]] == [Speech.Status.QUEUED]
    assert state["speech"]["status"] == Speech.Status.SPEAKING
    assert state["vote"]["status"] == Vote.Status.OPEN

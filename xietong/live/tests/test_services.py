"""The live room's services: agenda progress, speakers' list, votes, stale commands, record."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.live import selectors, services
from xietong.live.models import Ballot, ItemRun, Speech, Vote, VoteParticipation
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import sh
from xietong.records.models import Decision, ItemRecord
from xietong.topics.models import Topic

from .helpers import DURING, INVITEES, LATER, OPEN, SEED02_VOTE, live_meeting, started, version


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


@pytest.fixture
def seed02(torg):
    return live_meeting(torg, **SEED02_VOTE)


def at(text):
    return datetime.fromisoformat(text)


def items(meeting):
    return list(meeting.agenda.items.order_by("position"))


# ---- the meeting and its items -------------------------------------------------------------


def test_room_open_starts_the_clock_and_item_next_walks_the_agenda(torg, meeting):
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    state = selectors.room_state(meeting, OPEN)
    assert at(state["meeting"]["started_at"]) == OPEN
    assert state["meeting"]["cap_minutes"] == meeting.agenda.cap_minutes
    assert state["meeting"]["cap_clause"] == "第五条(二)2"
    first, second, *rest = items(meeting)
    run = services.item_next(meeting=meeting, actor=torg.host, now=OPEN)
    assert run.agenda_item == first and run.status == ItemRun.Status.CURRENT
    run = services.item_next(meeting=meeting, actor=torg.host, now=sh(2026, 3, 9, 9, 20))
    assert run.agenda_item == second
    first_run = ItemRun.objects.get(agenda_item=first)
    assert (first_run.status, first_run.elapsed_seconds) == (ItemRun.Status.DONE, 18 * 60)
    state = selectors.room_state(meeting, sh(2026, 3, 9, 9, 21))
    assert state["current_item"]["id"] == second.pk
    assert at(state["current_item"]["started_at"]) == sh(2026, 3, 9, 9, 20)
    assert [i["status"] for i in state["items"]][:2] == ["done", "current"]
    assert state["items"][0]["elapsed_seconds"] == 18 * 60
    json.dumps(state)  # the snapshot is JSON as it is


def test_item_next_with_a_reason_defers_the_topic_to_the_following_meeting(torg, meeting):
    started(torg, meeting, sign_in=())
    first = items(meeting)[0]
    services.item_next(meeting=meeting, actor=torg.host, now=DURING, reason="资料不全")
    run = ItemRun.objects.get(agenda_item=first)
    assert (run.status, run.deferral_reason) == (ItemRun.Status.DEFERRED, "资料不全")
    record = ItemRecord.objects.get(agenda_item=first)
    assert (record.outcome, record.deferral_reason) == (ItemRecord.Outcome.DEFERRED, "资料不全")
    first.topic.refresh_from_db()
    assert first.topic.status == Topic.Status.TRIAGED
    assert first.topic.meeting.starts_at == sh(2026, 3, 16, 9, 0)
    assert first.topic.deferral_reason == "资料不全"


def test_item_start_sets_the_current_item_aside_and_keeps_its_time(torg, meeting):
    started(torg, meeting, sign_in=())
    first, second, *rest = items(meeting)
    services.item_start(meeting=meeting, item=second, actor=torg.host, now=DURING)
    assert ItemRun.objects.get(agenda_item=first).status == ItemRun.Status.PENDING
    assert ItemRun.objects.get(agenda_item=first).elapsed_seconds == 8 * 60
    services.item_start(meeting=meeting, item=first, actor=torg.host, now=LATER)
    state = selectors.room_state(meeting, LATER)
    assert state["current_item"]["elapsed_before"] == 8 * 60
    services.item_next(meeting=meeting, actor=torg.host, now=sh(2026, 3, 9, 9, 32))
    assert ItemRun.objects.get(agenda_item=first).elapsed_seconds == 10 * 60
    with pytest.raises(DomainError) as err:
        services.item_start(meeting=meeting, item=first, actor=torg.host, now=sh(2026, 3, 9, 9, 33))
    assert err.value.code == "item_done"


def test_item_of_another_meeting_refused(torg, meeting):
    started(torg, meeting, sign_in=())
    with pytest.raises(DomainError) as err:
        services.item_start(meeting=meeting, item=999999, actor=torg.host, now=DURING)
    assert err.value.code == "not_found"


def test_agenda_done_and_meeting_end(torg, meeting):
    started(torg, meeting, sign_in=())
    for _ in items(meeting):
        services.item_next(meeting=meeting, actor=torg.host, now=DURING)
    assert services.room_for(meeting).current_item is None
    with pytest.raises(DomainError) as err:
        services.item_next(meeting=meeting, actor=torg.host, now=DURING)
    assert err.value.code == "agenda_done"
    services.meeting_end(meeting=meeting, actor=torg.host, now=LATER)
    state = selectors.room_state(meeting, LATER)
    assert state["meeting"]["ended"] is True
    with pytest.raises(DomainError) as err:
        services.floor_request(meeting=meeting, actor=torg.tech_head, now=LATER)
    assert err.value.code == "ended"


@pytest.mark.parametrize("who", ["recorder", "coordinator", "tech_head", "outsider", "chair"])
def test_host_commands_refused_to_everyone_else(torg, meeting, who):
    actor = getattr(torg, who)
    with pytest.raises(Forbidden):
        services.room_open(meeting=meeting, actor=actor, now=OPEN)
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    before = version(meeting)
    for call in (
        lambda: services.item_next(meeting=meeting, actor=actor, now=DURING),
        lambda: services.item_start(meeting=meeting, item=items(meeting)[0], actor=actor, now=DURING),
        lambda: services.vote_open(meeting=meeting, actor=actor, now=DURING, proposal="p"),
        lambda: services.meeting_end(meeting=meeting, actor=actor, now=DURING),
        lambda: services.guest_admit(meeting=meeting, actor=actor, now=DURING, name="访客"),
    ):
        with pytest.raises(Forbidden):
            call()
    assert version(meeting) == before
    assert services.room_for(meeting).current_item is None


def test_commands_before_the_start_refused(torg, meeting):
    with pytest.raises(DomainError) as err:
        services.item_next(meeting=meeting, actor=torg.host, now=OPEN)
    assert err.value.code == "not_started"
    with pytest.raises(DomainError) as err:
        services.room_open(meeting=meeting, actor=torg.host, now=sh(2026, 3, 8, 18, 0))
    assert err.value.code == "too_early"
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    with pytest.raises(DomainError) as err:
        services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    assert err.value.code == "already_started"


def test_cancelled_meeting_refuses_everything(torg, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    meeting.refresh_from_db()
    with pytest.raises(DomainError) as err:
        services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    assert err.value.code == "meeting_cancelled"
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=OPEN)
    assert err.value.code == "meeting_cancelled"


# ---- stale commands (two host tabs) ----------------------------------------------------------


def test_stale_version_refused_and_nothing_changes(torg, meeting, caplog):
    started(torg, meeting, sign_in=())
    seen = version(meeting)
    services.item_next(meeting=meeting, actor=torg.host, now=DURING, expected_version=seen)
    current = services.room_for(meeting).current_item_id
    # The second tab still shows version ``seen``: its "next" is refused.
    with caplog.at_level(logging.WARNING, logger="xietong.live"), pytest.raises(DomainError) as err:
        services.item_next(meeting=meeting, actor=torg.host, now=DURING, expected_version=seen)
    assert err.value.code == "stale"
    assert services.room_for(meeting).current_item_id == current
    assert version(meeting) == seen + 1
    assert any("stale" in r.getMessage() and "item_next" in r.getMessage() for r in caplog.records)


def test_every_change_bumps_the_version_once(torg, meeting):
    v0 = version(meeting)
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=OPEN)
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    services.item_next(meeting=meeting, actor=torg.host, now=OPEN)
    assert version(meeting) == v0 + 3
    assert selectors.room_state(meeting, OPEN)["version"] == v0 + 3


def test_broadcast_after_commit(torg, meeting, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    from xietong.live import realtime

    monkeypatch.setattr(realtime, "room_changed", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    assert sent == [meeting.pk]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Forbidden):
        services.room_open(meeting=meeting, actor=torg.tech_head, now=OPEN)
    assert sent == [meeting.pk]


# ---- speakers' list --------------------------------------------------------------------------


def test_timed_speech_lands_in_the_record_with_its_department(torg, seed02):
    started(torg, seed02)
    first = items(seed02)[0]
    a = services.floor_request(meeting=seed02, actor=torg.tech_head, now=DURING)
    b = services.floor_request(meeting=seed02, actor=torg.market_head, now=DURING)
    state = selectors.room_state(seed02, DURING)
    assert [q["person"] for q in state["queue"]] == ["周技术", "王市场"]
    services.floor_grant(meeting=seed02, speech=a, actor=torg.host, now=sh(2026, 3, 9, 9, 11))
    state = selectors.room_state(seed02, sh(2026, 3, 9, 9, 12))
    assert state["speech"]["person"] == "周技术"
    assert state["speech"]["limit_seconds"] == 180
    assert at(state["speech"]["started_at"]) == sh(2026, 3, 9, 9, 11)
    assert [q["person"] for q in state["queue"]] == ["王市场"]
    # Granting the next speaker ends the current speech: 3 min 30 s, over the limit.
    services.floor_grant(meeting=seed02, speech=b, actor=torg.host, now=sh(2026, 3, 9, 9, 14, 30))
    a.refresh_from_db()
    assert (a.status, a.duration_seconds, a.over_limit, a.agenda_item_id) == ("done", 210, True, first.pk)
    assert a.department == torg.departments["tech"]
    services.speech_end(meeting=seed02, actor=torg.market_head, now=sh(2026, 3, 9, 9, 15, 30))
    b.refresh_from_db()
    assert (b.duration_seconds, b.over_limit) == (60, False)
    report = selectors.speaking_time_by_department(seed02)
    assert [(r.department, r.seconds, r.speeches, r.over_limit) for r in report] == [
        ("技术部", 210, 1, 1),
        ("市场部", 60, 1, 0),
    ]


def test_policy_without_a_speaking_limit_has_no_countdown(torg, meeting):
    started(torg, meeting)
    s = services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    services.floor_grant(meeting=meeting, speech=s, actor=torg.host, now=DURING)
    assert selectors.room_state(meeting, DURING)["speech"]["limit_seconds"] is None


def test_delegate_speaks_for_the_department_replaced(torg, seed02):
    from xietong.meetings.models import Rsvp

    Rsvp.objects.filter(meeting=seed02, invitee=torg.finance_head).update(
        response=Rsvp.Response.DELEGATE, delegate=torg.finance_liaison
    )
    started(torg, seed02, sign_in=("tech_head",))
    services.signin_self(meeting=seed02, actor=torg.finance_liaison, now=DURING)
    s = services.floor_request(meeting=seed02, actor=torg.finance_liaison, now=DURING)
    assert s.department == torg.departments["finance"]


def test_floor_refusals(torg, meeting):
    started(torg, meeting, sign_in=("tech_head",))
    with pytest.raises(DomainError) as err:
        services.floor_request(meeting=meeting, actor=torg.market_head, now=DURING)
    assert err.value.code == "not_present"
    s = services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    with pytest.raises(DomainError) as err:
        services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    assert err.value.code == "already_queued"
    with pytest.raises(Forbidden):
        services.floor_grant(meeting=meeting, speech=s, actor=torg.tech_head, now=DURING)
    with pytest.raises(Forbidden):
        services.floor_withdraw(meeting=meeting, speech=s, actor=torg.recorder, now=DURING)
    with pytest.raises(DomainError) as err:
        services.speech_end(meeting=meeting, actor=torg.host, now=DURING)
    assert err.value.code == "no_speech"
    services.floor_withdraw(meeting=meeting, actor=torg.tech_head, now=DURING)
    with pytest.raises(DomainError) as err:
        services.floor_grant(meeting=meeting, speech=s, actor=torg.host, now=DURING)
    assert err.value.code == "not_queued"
    assert Speech.objects.get(pk=s.pk).status == Speech.Status.WITHDRAWN


def test_host_reorders_the_list(torg, meeting):
    started(torg, meeting)
    a = services.floor_request(meeting=meeting, actor=torg.tech_head, now=DURING)
    b = services.floor_request(meeting=meeting, actor=torg.market_head, now=DURING)
    c = services.floor_request(meeting=meeting, actor=torg.finance_head, now=DURING)
    services.floor_reorder(meeting=meeting, speech=c, position=1, actor=torg.host, now=DURING)
    assert [q["id"] for q in selectors.room_state(meeting, DURING)["queue"]] == [c.pk, a.pk, b.pk]
    services.floor_reorder(meeting=meeting, speech=c, position=99, actor=torg.host, now=DURING)
    assert [q["id"] for q in selectors.room_state(meeting, DURING)["queue"]] == [a.pk, b.pk, c.pk]
    with pytest.raises(DomainError) as err:
        services.floor_reorder(meeting=meeting, speech=c, position=0, actor=torg.host, now=DURING)
    assert err.value.code == "bad_position"
    with pytest.raises(Forbidden):
        services.floor_reorder(meeting=meeting, speech=c, position=1, actor=torg.tech_head, now=DURING)


# ---- votes -----------------------------------------------------------------------------------


AGREE5 = ("coordinator", "tech_head", "market_head", "finance_head", "market_liaison")


def cast(torg, meeting, vote, choices: dict[str, str], now=DURING):
    for key, choice in choices.items():
        services.ballot_cast(meeting=meeting, vote=vote, actor=getattr(torg, key), now=now, choice=choice)


def test_named_vote_passes_under_the_seed02_rule_and_is_stored(torg, seed02):
    started(torg, seed02)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    assert (vote.method, vote.min_agree, vote.quorum_percent, vote.eligible_count) == ("absolute", 5, 50, 8)
    assert vote.agenda_item == items(seed02)[0]
    cast(torg, seed02, vote, {k: "agree" for k in AGREE5} | {"tech_liaison": "against"})
    state = selectors.room_state(seed02, DURING)
    assert state["vote"]["tally"] == {"agree": 5, "against": 1, "abstain": 0}
    assert state["vote"]["voted_count"] == 6
    assert "周技术" in state["vote"]["voted"]
    assert {"name": "周技术", "cast_by": None, "choice": "agree"} in state["vote"]["ballots"]
    vote = services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert (vote.passed, vote.result_code, vote.present_count) == (True, "passed", 8)
    state = selectors.room_state(seed02, LATER)
    assert state["vote"] is None
    assert state["last_vote"]["passed"] is True
    assert "四、(一)" in state["last_vote"]["rule"]
    assert Ballot.objects.filter(vote=vote).count() == 6


def test_vote_fails_for_too_few_agrees(torg, seed02):
    started(torg, seed02, sign_in=INVITEES[:6])
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p")
    # 4 of 6 present: an absolute majority, but seed 02 wants at least 5 in favour.
    cast(torg, seed02, vote, {k: "agree" for k in INVITEES[:4]} | {"tech_liaison": "abstain"})
    vote = services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert (vote.passed, vote.result_code) == (False, "too_few_agrees")
    assert selectors.vote_result_text(vote)


def test_vote_fails_for_quorum(torg, seed02):
    started(torg, seed02, sign_in=INVITEES[:3])
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p")
    cast(torg, seed02, vote, {k: "agree" for k in INVITEES[:3]})
    vote = services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert (vote.passed, vote.result_code, vote.present_count) == (False, "no_quorum", 3)


def test_secret_vote_stores_no_link_between_voter_and_choice(torg, seed02):
    started(torg, seed02)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p", secret=True)
    cast(torg, seed02, vote, {"tech_head": "agree", "market_head": "against", "finance_head": "abstain"})
    assert not Ballot.objects.filter(vote=vote).exists()
    rows = list(VoteParticipation.objects.filter(vote=vote).values())
    assert {r["seat_id"] for r in rows} == {torg.tech_head.pk, torg.market_head.pk, torg.finance_head.pk}
    assert all(set(r) == {"id", "vote_id", "seat_id", "voter_id"} for r in rows)
    events = Event.objects.filter(name="live.ballot_cast")
    assert events.count() == 3 and all("choice" not in e.data for e in events)
    # While open: who has voted is public, the tally is not.
    state = selectors.room_state(seed02, DURING)
    assert state["vote"]["tally"] is None and "ballots" not in state["vote"]
    assert state["vote"]["voted_count"] == 3
    vote = services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert (vote.agree, vote.against, vote.abstain) == (1, 1, 1)
    assert selectors.room_state(seed02, LATER)["last_vote"]["tally"] == {
        "agree": 1,
        "against": 1,
        "abstain": 1,
    }


def test_ballot_refusals_leave_the_vote_unchanged(torg, seed02, caplog):
    started(torg, seed02, sign_in=INVITEES[:6])
    services.guest_admit(meeting=seed02, actor=torg.host, now=DURING, person=torg.outsider)
    # Recorded as present on the record page although not invited: present, but no seat.
    from xietong.records.services import attendance_record

    attendance_record(meeting=seed02, person=torg.chair, status="present", actor=torg.recorder, now=DURING)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p")
    services.ballot_cast(meeting=seed02, vote=vote, actor=torg.tech_head, now=DURING, choice="agree")
    cases = [
        (torg.chair, "agree", "not_eligible"),
        (torg.tech_head, "agree", "already_voted"),  # double ballot
        (torg.recorder, "agree", "not_present"),  # invited, not signed in
        (torg.outsider, "agree", "not_present"),  # admitted guest: no vote
        (torg.tech_head, "maybe", "bad_choice"),
    ]
    for actor, choice, code in cases:
        with caplog.at_level(logging.WARNING, logger="xietong.live"), pytest.raises(DomainError) as err:
            services.ballot_cast(meeting=seed02, vote=vote, actor=actor, now=DURING, choice=choice)
        assert err.value.code == code
        assert f"ballot_cast refused: meeting={seed02.pk} actor={actor.pk} code={code}" in caplog.text
    vote.refresh_from_db()
    assert (vote.agree, vote.against, vote.abstain) == (1, 0, 0)
    assert VoteParticipation.objects.filter(vote=vote).count() == 1
    services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    with pytest.raises(DomainError) as err:
        services.ballot_cast(meeting=seed02, vote=vote, actor=torg.market_head, now=LATER, choice="against")
    assert err.value.code == "vote_closed"
    with pytest.raises(DomainError) as err:
        services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert err.value.code == "vote_closed"
    vote.refresh_from_db()
    assert (vote.agree, vote.against) == (1, 0)


def test_a_delegate_votes_once_for_the_seat_replaced(torg, seed02):
    from xietong.meetings.models import Rsvp

    Rsvp.objects.filter(meeting=seed02, invitee=torg.finance_head).update(
        response=Rsvp.Response.DELEGATE, delegate=torg.finance_liaison
    )
    started(torg, seed02, sign_in=("tech_head", "finance_liaison"))
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p")
    services.ballot_cast(meeting=seed02, vote=vote, actor=torg.finance_liaison, now=DURING, choice="agree")
    assert Ballot.objects.get(vote=vote).seat == torg.finance_head
    state = selectors.room_state(seed02, DURING)
    assert {"name": "陈财务", "cast_by": "褚联络", "choice": "agree"} in state["vote"]["ballots"]


def test_one_vote_at_a_time_and_proposal_required(torg, meeting):
    started(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="  ")
    assert (err.value.code, err.value.field) == ("required", "proposal")
    with pytest.raises(DomainError) as err:
        services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="x" * 501)
    assert err.value.code == "too_long"
    services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="p")
    with pytest.raises(DomainError) as err:
        services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="q")
    assert err.value.code == "vote_open"
    with pytest.raises(DomainError) as err:
        services.meeting_end(meeting=meeting, actor=torg.host, now=LATER)
    assert err.value.code == "vote_open"
    assert Vote.objects.filter(meeting=meeting).count() == 1


def test_seed01_default_rule_is_simple_majority_without_minimum(torg, meeting):
    started(torg, meeting)
    vote = services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="p")
    assert (vote.method, vote.min_agree, vote.quorum_percent) == ("simple", None, None)
    cast(torg, meeting, vote, {"tech_head": "agree", "market_head": "abstain"})
    assert services.vote_close(meeting=meeting, vote=vote, actor=torg.host, now=LATER).passed is True


def test_passed_vote_becomes_a_decision_carrying_its_result(torg, seed02):
    from datetime import date

    started(torg, seed02)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    with pytest.raises(DomainError) as err:
        services.vote_to_decision(
            meeting=seed02, vote=vote, actor=torg.host, now=DURING, text="t",
            department=torg.departments["tech"], responsible=torg.tech_head, due_on=date(2026, 3, 20),
        )  # fmt: skip
    assert err.value.code == "not_passed"
    cast(torg, seed02, vote, {k: "agree" for k in AGREE5})
    services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    decision = services.vote_to_decision(
        meeting=seed02,
        vote=vote,
        actor=torg.host,
        now=LATER,
        text="技术部实施方案A",
        department=torg.departments["tech"],
        responsible=torg.tech_head,
        due_on=date(2026, 3, 20),
    )
    assert decision.agenda_item == items(seed02)[0]
    assert decision.vote.agree == 5 and decision.vote.result_code == "passed"
    with pytest.raises(DomainError) as err:
        services.vote_to_decision(
            meeting=seed02, vote=vote, actor=torg.host, now=LATER, text="again",
            department=torg.departments["tech"], responsible=torg.tech_head, due_on=date(2026, 3, 20),
        )  # fmt: skip
    assert err.value.code == "already_decided"
    assert Decision.objects.filter(meeting=seed02).count() == 1


# ---- into the minutes ------------------------------------------------------------------------


def test_minutes_draft_carries_attendance_speeches_and_votes(torg, seed02):
    from xietong.minutes.services import minutes_body_from_record

    started(torg, seed02, sign_in=INVITEES[:6])
    services.guest_admit(meeting=seed02, actor=torg.host, now=DURING, name="外部专家")
    s = services.floor_request(meeting=seed02, actor=torg.tech_head, now=DURING)
    services.floor_grant(meeting=seed02, speech=s, actor=torg.host, now=DURING)
    services.speech_end(meeting=seed02, actor=torg.host, now=sh(2026, 3, 9, 9, 12, 5))
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    cast(torg, seed02, vote, {k: "agree" for k in AGREE5} | {"tech_liaison": "against"})
    services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    body = minutes_body_from_record(seed02)
    assert "周技术" in body and "外部专家" in body
    assert "同意方案A" in body
    assert "5" in body and "四、(一)" in body
    assert "2:05" in body


# ---- pages after the vote --------------------------------------------------------------------


def test_vote_decision_page_records_the_decision_once(torg, seed02, login):
    started(torg, seed02)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    cast(torg, seed02, vote, {k: "agree" for k in AGREE5})
    services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    url = reverse("live:vote_decision", args=[seed02.pk, vote.pk])
    assert login(torg.tech_head).get(url).status_code == 403
    client = login(torg.recorder)
    report = client.get(reverse("live:speaking", args=[seed02.pk])).content.decode()
    assert url in report
    form = {
        "text": "技术部实施方案A",
        "department": torg.departments["tech"].pk,
        "responsible": torg.tech_head.pk,
        "due_on": "2026-03-20",
    }
    bad = client.post(url, {**form, "responsible": torg.market_head.pk})
    assert bad.status_code == 400 and not Decision.objects.exists()
    with time_machine.travel(LATER, tick=False):
        assert client.post(url, form).status_code == 302
    decision = Decision.objects.get()
    assert decision.vote == vote and decision.agenda_item == items(seed02)[0]
    assert 'data-decided="1"' in client.get(url).content.decode()
    assert (
        f'data-decision="{decision.pk}"'
        in client.get(reverse("live:speaking", args=[seed02.pk])).content.decode()
    )


def test_failed_vote_cannot_become_a_decision_page(torg, meeting, login):
    started(torg, meeting)
    vote = services.vote_open(meeting=meeting, actor=torg.host, now=DURING, proposal="p")
    cast(torg, meeting, vote, {"tech_head": "against"})
    services.vote_close(meeting=meeting, vote=vote, actor=torg.host, now=LATER)
    client = login(torg.host)
    url = reverse("live:vote_decision", args=[meeting.pk, vote.pk])
    assert 'data-decidable="0"' in client.get(url).content.decode()
    r = client.post(
        url,
        {
            "text": "t",
            "department": torg.departments["tech"].pk,
            "responsible": torg.tech_head.pk,
            "due_on": "2026-03-20",
        },
    )
    assert r.status_code == 400 and not Decision.objects.exists()


def test_room_state_of_an_untouched_meeting_writes_nothing(torg, meeting):
    from xietong.live.models import Room

    state = selectors.room_state(meeting, OPEN)
    assert not Room.objects.exists()
    assert (state["version"], state["meeting"]["started_at"], state["current_item"]) == (0, None, None)
    assert [i["status"] for i in state["items"]] == ["pending"] * len(items(meeting))
    assert state["invited_count"] == len(INVITEES)


def test_room_state_query_count_does_not_grow_with_the_room(torg, seed02, django_assert_num_queries):
    started(torg, seed02)
    for key in ("tech_head", "market_head", "finance_head"):
        services.floor_request(meeting=seed02, actor=getattr(torg, key), now=DURING)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p")
    cast(torg, seed02, vote, {k: "agree" for k in AGREE5})
    # The meeting (agenda, room, counts), items with progress, speakers' list, votes, who
    # has voted, named ballots, attendance: 7 however many speak, vote or sign in.
    with django_assert_num_queries(7):
        state = selectors.room_state(seed02, DURING)
    assert len(state["queue"]) == 3 and state["vote"]["voted_count"] == len(AGREE5)
    assert len(state["vote"]["ballots"]) == len(AGREE5) and len(state["vote"]["voter_ids"]) == len(AGREE5)
    assert state["invited_count"] == len(INVITEES) and state["guests"] == []


def test_ballot_cast_query_count_is_pinned(torg, seed02, django_assert_num_queries):
    started(torg, seed02)
    secret = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="p", secret=True)
    cast(torg, seed02, secret, {"coordinator": "agree"})  # warms the content-type cache
    # Savepoint, room lock, vote, attendance/seat/eligibility/already-voted in one read,
    # participation, counter, event, version, release: nothing per voter or per screen.
    with django_assert_num_queries(9):
        cast(torg, seed02, secret, {"tech_head": "against"})
    assert Vote.objects.get(pk=secret.pk).against == 1

"""Votes where the regulation requires them (seed 02 四、(一): decisions need the agreement of a
majority of those present, e.g. at least 5): a failed vote names every test it failed, and under
a policy whose ``decision_vote`` is "refuse" a decision is recorded only from a passed vote."""

from __future__ import annotations

from datetime import date

import pytest

from xietong.core.errors import DomainError
from xietong.core.models import Event
from xietong.live import rules as decision_rules
from xietong.live import selectors, services
from xietong.live.models import Vote
from xietong.policy.rules import load_preset
from xietong.records import services as records
from xietong.records.models import Decision

from .helpers import DURING, LATER, SEED02_VOTE, live_meeting, started

pytestmark = pytest.mark.django_db

SEED02 = load_preset("seed02-coordination")
AGREE4 = ("coordinator", "tech_head", "market_head", "finance_head")
AGAINST3 = ("market_liaison", "tech_liaison", "host")
REFUSE = {"decision_vote": {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)", "value": "refuse"}}


def _seed02_decide(counts: decision_rules.Counts) -> decision_rules.Outcome:
    return decision_rules.decide(
        counts,
        method=SEED02.choice("majority_method"),
        min_agree=SEED02.count("min_agree_votes"),
        quorum_percent=SEED02.count("quorum_percent"),
    )


def test_a_4_3_2_vote_fails_both_the_majority_and_the_minimum():
    outcome = _seed02_decide(decision_rules.Counts(agree=4, against=3, abstain=2, present=9, eligible=12))
    assert outcome.passed is False
    assert outcome.failures == (decision_rules.NO_MAJORITY, decision_rules.TOO_FEW_AGREES)
    assert outcome.code == decision_rules.NO_MAJORITY


def test_all_three_failures_are_named():
    outcome = _seed02_decide(decision_rules.Counts(agree=2, against=2, abstain=0, present=4, eligible=12))
    assert outcome.failures == (
        decision_rules.NO_QUORUM,
        decision_rules.NO_MAJORITY,
        decision_rules.TOO_FEW_AGREES,
    )


def test_a_passed_vote_has_no_failures():
    outcome = _seed02_decide(decision_rules.Counts(agree=5, against=3, abstain=1, present=9, eligible=12))
    assert (outcome.passed, outcome.failures) == (True, ())


def test_the_result_text_names_both_failures():
    vote = Vote(
        status=Vote.Status.CLOSED,
        method="absolute",
        min_agree=5,
        quorum_percent=50,
        agree=4,
        against=3,
        abstain=2,
        present_count=9,
        eligible_count=9,
        passed=False,
        result_code=decision_rules.NO_MAJORITY,
    )
    text = selectors.vote_result_text(vote)
    assert text == "未通过：未达到规定的多数； 同意票数不足"


@pytest.fixture
def seed02(torg):
    return live_meeting(torg, **SEED02_VOTE, **REFUSE)


def _cast(torg, meeting, vote, keys, choice):
    for key in keys:
        services.ballot_cast(meeting=meeting, vote=vote, actor=getattr(torg, key), now=DURING, choice=choice)


def test_in_the_room_a_4_3_1_vote_reports_both_failures(torg, seed02):
    started(torg, seed02)
    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    _cast(torg, seed02, vote, AGREE4, "agree")
    _cast(torg, seed02, vote, AGAINST3, "against")
    _cast(torg, seed02, vote, ("recorder",), "abstain")
    vote = services.vote_close(meeting=seed02, vote=vote, actor=torg.host, now=LATER)
    assert vote.passed is False
    closed = Event.objects.get(name="live.vote_closed")
    assert closed.data["failures"] == ["no_majority", "too_few_agrees"]
    shown = selectors.room_state(seed02, LATER)["last_vote"]
    assert shown["failures"] == ["no_majority", "too_few_agrees"]
    assert "同意票数不足" in shown["result"]


def _decide_directly(torg, meeting, **extra):
    return records.decision_create(
        meeting=meeting,
        text="技术部实施方案A",
        department=torg.departments["tech"],
        responsible=torg.tech_head,
        due_on=date(2026, 3, 20),
        actor=torg.recorder,
        now=LATER,
        **extra,
    )


def test_a_decision_without_a_passed_vote_is_refused(torg, seed02):
    started(torg, seed02)
    with pytest.raises(DomainError) as err:
        _decide_directly(torg, seed02)
    assert err.value.code == "vote_required"
    assert err.value.params == {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)"}
    assert not Decision.objects.filter(meeting=seed02).exists()

    vote = services.vote_open(meeting=seed02, actor=torg.host, now=DURING, proposal="同意方案A")
    _cast(torg, seed02, vote, (*AGREE4, "market_liaison"), "agree")
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
    assert decision.vote.passed and decision.unvoted_reason == ""

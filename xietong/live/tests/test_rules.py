"""The decision rule of a vote (pure function, no database)."""

from __future__ import annotations

import pytest

from xietong.live.rules import (
    NO_MAJORITY,
    NO_QUORUM,
    PASSED,
    TOO_FEW_AGREES,
    Counts,
    decide,
    has_majority,
    quorum_needed,
)


def counts(agree, against=0, abstain=0, *, present=None, eligible=None):
    present = agree + against + abstain if present is None else present
    return Counts(agree, against, abstain, present, present if eligible is None else eligible)


@pytest.mark.parametrize(
    ("agree", "against", "passed"),
    [(2, 1, True), (4, 2, True), (3, 2, False), (6, 3, True), (5, 3, False), (1, 0, True), (0, 0, False)],
)
def test_two_thirds_of_votes_cast_inclusive(agree, against, passed):
    # 2 of 3 and 4 of 6 are exactly two-thirds: they pass; 3 of 5 (60 %) does not.
    assert has_majority("two_thirds", counts(agree, against)) is passed


def test_two_thirds_ignores_abstentions():
    assert has_majority("two_thirds", counts(2, 1, abstain=5)) is True
    assert decide(counts(2, 1, abstain=5), method="two_thirds").code == PASSED


@pytest.mark.parametrize(
    ("agree", "against", "abstain", "passed"),
    [(3, 2, 0, True), (2, 2, 0, False), (2, 1, 9, True), (0, 0, 4, False), (1, 2, 0, False)],
)
def test_simple_majority_of_votes_cast(agree, against, abstain, passed):
    assert decide(counts(agree, against, abstain), method="simple").passed is passed


@pytest.mark.parametrize(
    ("agree", "present", "passed"),
    [(4, 7, True), (4, 8, False), (5, 8, True), (1, 1, True), (0, 0, False)],
)
def test_absolute_majority_of_those_present(agree, present, passed):
    # Abstaining or not voting at all counts like voting against.
    c = Counts(agree, 0, 0, present, present)
    assert decide(c, method="absolute").passed is passed


def test_absolute_majority_counts_silent_voters_present():
    # 3 for, 1 against — a simple majority, but 6 are present: not an absolute majority.
    c = Counts(3, 1, 0, 6, 8)
    assert decide(c, method="simple").passed is True
    assert decide(c, method="absolute").code == NO_MAJORITY


@pytest.mark.parametrize(
    ("agree", "against", "abstain", "present", "passed"),
    [(5, 0, 0, 5, True), (5, 0, 1, 6, False), (5, 1, 0, 6, False), (5, 0, 0, 6, False)],
)
def test_unanimity_of_everyone_present(agree, against, abstain, present, passed):
    c = Counts(agree, against, abstain, present, present)
    assert decide(c, method="unanimous").passed is passed


@pytest.mark.parametrize(
    ("eligible", "pct", "needed"), [(8, 50, 4), (9, 50, 5), (10, 67, 7), (3, 100, 3), (0, 50, 0)]
)
def test_quorum_needed_rounds_up(eligible, pct, needed):
    assert quorum_needed(eligible, pct) == needed


def test_no_quorum_rule_means_no_quorum():
    assert quorum_needed(8, None) is None
    assert decide(Counts(1, 0, 0, 1, 50), method="simple").passed is True


def test_failed_for_quorum_even_when_everyone_present_agrees():
    c = Counts(agree=3, against=0, abstain=0, present=3, eligible=8)
    outcome = decide(c, method="simple", quorum_percent=50)
    assert (outcome.passed, outcome.code, outcome.quorum_needed) == (False, NO_QUORUM, 4)


def test_quorum_exactly_reached_is_enough():
    c = Counts(agree=4, against=0, abstain=0, present=4, eligible=8)
    assert decide(c, method="simple", quorum_percent=50).code == PASSED


def test_failed_for_too_few_agrees_despite_majority():
    # Seed 02 四、(一): at least 5 in favour. 4 of 6 present is an absolute majority.
    c = Counts(agree=4, against=1, abstain=1, present=6, eligible=8)
    outcome = decide(c, method="absolute", min_agree=5, quorum_percent=50)
    assert (outcome.passed, outcome.code) == (False, TOO_FEW_AGREES)


def test_seed02_rule_passes_with_five_agrees_of_eight():
    c = Counts(agree=5, against=2, abstain=1, present=8, eligible=8)
    assert decide(c, method="absolute", min_agree=5, quorum_percent=50).code == PASSED


def test_majority_is_checked_before_minimum_agrees():
    c = Counts(agree=2, against=3, abstain=0, present=5, eligible=5)
    assert decide(c, method="simple", min_agree=5).code == NO_MAJORITY


def test_unknown_method_and_negative_counts_refused():
    with pytest.raises(ValueError):
        decide(counts(1), method="plurality")
    with pytest.raises(ValueError):
        decide(Counts(-1, 0, 0, 1, 1), method="simple")

"""The decision rule of a vote, as a pure function (no database, no settings needed).

The policy chooses the majority method (``majority_method``, seed 02 四、(一): "决策结果需经多数
参会者同意"), a minimum number of votes in favour (``min_agree_votes``, seed 02 四、(一): "如5人
以上同意") and a quorum (``quorum_percent`` of those entitled to vote, i.e. the invitees).

Definitions (written down here because regulations rarely are precise about them):

- *Votes cast* are the ballots for and against. Abstentions are recorded and shown, but are
  not "cast" (Robert's Rules of Order and OpenSlides' "YN" base: an abstention is a refusal
  to vote, so it neither helps nor hinders a proposal). This applies to the simple majority
  and to two-thirds.
- ``simple``: more votes for than against (agree > half of votes cast). A tie fails.
- ``two_thirds``: at least two-thirds of votes cast, i.e. 3 × agree ≥ 2 × (agree + against):
  2 of 3 passes, 4 of 6 passes, 3 of 5 fails (60 %).
- ``absolute``: more than half of the voters *present* are for it (abstaining or not voting
  counts like against): 2 × agree > present.
- ``unanimous``: every voter present voted for it (nobody against, abstaining or silent).
- Quorum: voters present × 100 ≥ quorum_percent × entitled ("达到…以上", inclusive).
  Checked first: without a quorum the meeting cannot decide, whatever the counts.
- Minimum agrees: agree ≥ min_agree_votes. Checked after the majority.
- Every test that fails is reported (``Outcome.failures``, in the order above), not only the
  first: a 4/3/2 vote under "absolute majority + at least 5 agree" fails both.
- Nothing cast (no votes for or against) never passes.
"""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("simple", "absolute", "two_thirds", "unanimous")

PASSED = "passed"
NO_QUORUM = "no_quorum"
NO_MAJORITY = "no_majority"
TOO_FEW_AGREES = "too_few_agrees"
RESULT_CODES = (PASSED, NO_QUORUM, NO_MAJORITY, TOO_FEW_AGREES)


@dataclass(frozen=True)
class Counts:
    agree: int
    against: int
    abstain: int
    present: int  # voters present (entitled and signed in) when the vote closes
    eligible: int  # voters entitled to vote (the invitees)

    @property
    def cast(self) -> int:
        """Votes cast: for and against (abstentions excluded, see the module docstring)."""
        return self.agree + self.against


@dataclass(frozen=True)
class Outcome:
    passed: bool
    code: str  # one of RESULT_CODES: PASSED, else the first failing test
    quorum_needed: int | None  # voters present needed (None: no quorum rule)
    failures: tuple[str, ...] = ()  # every failing test, in the order they are checked


def quorum_needed(eligible: int, quorum_percent: int | None) -> int | None:
    """The smallest number present that satisfies ``quorum_percent`` of ``eligible``."""
    if not quorum_percent:
        return None
    # ceil(eligible * pct / 100) in integers.
    return -(-eligible * quorum_percent // 100)


def has_majority(method: str, counts: Counts) -> bool:
    if method not in METHODS:
        raise ValueError(f"unknown majority method {method!r}")
    if counts.agree <= 0:
        return False
    if method == "simple":
        return counts.agree > counts.against
    if method == "two_thirds":
        return 3 * counts.agree >= 2 * counts.cast
    if method == "absolute":
        return 2 * counts.agree > counts.present
    return counts.agree == counts.present and counts.against == 0 and counts.abstain == 0


def decide(
    counts: Counts, *, method: str, min_agree: int | None = None, quorum_percent: int | None = None
) -> Outcome:
    """Whether a proposal with ``counts`` passes under the rule; every failing test is named."""
    if min(counts.agree, counts.against, counts.abstain, counts.present, counts.eligible) < 0:
        raise ValueError("counts must not be negative")
    needed = quorum_needed(counts.eligible, quorum_percent)
    failures: list[str] = []
    if needed is not None and counts.present < needed:
        failures.append(NO_QUORUM)
    if not has_majority(method, counts):
        failures.append(NO_MAJORITY)
    if min_agree and counts.agree < min_agree:
        failures.append(TOO_FEW_AGREES)
    if failures:
        return Outcome(False, failures[0], needed, tuple(failures))
    return Outcome(True, PASSED, needed)

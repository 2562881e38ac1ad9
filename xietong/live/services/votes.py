"""Votes in the meeting: opening one under the policy's decision rule, casting ballots (named
or secret), closing it with its result, and recording a passed vote as a decision."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from xietong.agenda.models import AgendaItem
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.limits import max_length
from xietong.core.text import clean_field
from xietong.core.transitions import Step, locked, refuse_unless, sole_state, step
from xietong.meetings.models import Meeting, Rsvp
from xietong.records.models import Attendance
from xietong.records.services import decision_create

from .. import rules as decision_rules
from ..models import Ballot, Vote, VoteParticipation
from .rooms import (
    HOST,
    PRESENT,
    RECORDER,
    VOTER,
    _changed,
    _lock_room,
    _logged,
    _of_meeting,
    _require_host,
    _require_person,
    _require_room,
    is_host,
    is_recorder,
)
from .seats import invitee_ids, present_voter_seats

MAX_PROPOSAL = max_length(Vote, "proposal")
CHOICES = tuple(Vote.Choice.values)

V = Vote.Status
ERR_CLOSED = _("This vote is already closed.")
ERR_NOT_PASSED = _("Only a vote that passed can become a decision.")

# command -> (the states of a vote it may start from, who may send it). A vote opens open
# (vote_open, one at a time); a passed vote, once closed, may be recorded as a decision once.
VOTE_TRANSITIONS: dict[str, Step] = {
    "ballot_cast": step({V.OPEN}, VOTER),
    "vote_close": step({V.OPEN}, HOST),
    "vote_to_decision": step({V.CLOSED}, RECORDER),
}


# ---- votes ----------------------------------------------------------------------------------


def vote_rule(meeting: Meeting) -> dict:
    """The decision rule the policy sets for ``meeting`` (method, minimum agrees, quorum, clauses)."""
    policy = meeting.policy_version.rules
    clauses = []
    for key in ("majority_method", "min_agree_votes", "quorum_percent"):
        rule = policy.get(key)
        if rule is not None and rule.clause and rule.clause not in clauses:
            clauses.append(rule.clause)
    return {
        "method": policy.choice("majority_method"),
        "min_agree": policy.count("min_agree_votes"),
        "quorum_percent": policy.count("quorum_percent"),
        "clause": "；".join(clauses),
    }


@_logged
def vote_open(
    *,
    meeting: Meeting,
    actor,
    now: datetime,
    proposal: str,
    secret: bool = False,
    item=None,
    expected_version=None,
) -> Vote:
    """The host opens a vote on ``proposal`` (named, or secret), on ``item`` (default: the
    item under discussion).

    Preconditions: host; running; no other vote open; a proposal of 1–500 characters.
    The rule (majority method, minimum agrees, quorum) is copied from the policy now, with
    the number entitled to vote (the invitees). Records ``live.vote_opened``.
    """
    _require_host(meeting, actor)
    proposal = clean_field(proposal, field="proposal", max_length=MAX_PROPOSAL, required=True)
    if not isinstance(secret, bool):
        raise DomainError(_("Choose a named or a secret vote."), code="bad_secret", field="secret")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        _require_room(meeting, room, "vote_open")
        if item is not None:
            pk = getattr(item, "pk", item)
            item = (
                AgendaItem.objects.filter(pk=pk, agenda__meeting=meeting).first()
                if isinstance(pk, int)
                else None
            )
            if item is None:
                raise DomainError(
                    _("This item is not on the meeting's agenda."), code="not_found", field="item"
                )
        else:
            item = room.current_item
        if Vote.objects.filter(meeting=meeting, status=sole_state(VOTE_TRANSITIONS, "vote_close")).exists():
            raise DomainError(_("Another vote is open; close it first."), code="vote_open")
        vote = Vote.objects.create(
            meeting=meeting,
            agenda_item=item,
            proposal=proposal,
            secret=secret,
            eligible_count=len(invitee_ids(meeting)),
            opened_by=actor,
            opened_at=now,
            **vote_rule(meeting),
        )
        record_event(
            name="live.vote_opened", actor=actor, subject=vote, now=now, secret=secret, method=vote.method
        )
        _changed(room)
    return vote


@_logged
def ballot_cast(*, meeting: Meeting, vote, actor, now: datetime, choice: str, expected_version=None) -> Vote:
    """A voter present casts one ballot: "agree", "against" or "abstain". Final once cast.

    Preconditions: the vote is of this meeting and open; the actor is signed in for an
    invitee's seat (their own, or as the delegate of the person they replace) — guests and
    people not signed in do not vote; that seat has not voted.
    Side effects: the counter rises; VoteParticipation (who has voted) is written; a named
    vote also keeps the Ballot (who chose what); a secret vote keeps nothing else — no
    choice, no time, no order linked to the voter. Records ``live.ballot_cast`` (without
    the choice when secret).
    """
    _require_person(actor)
    if choice not in CHOICES:
        raise DomainError(_("Choose agree, against or abstain."), code="bad_choice", field="choice")
    already = DomainError(_("A ballot has already been cast for this seat."), code="already_voted")
    try:
        with transaction.atomic():
            room = _lock_room(meeting, expected_version)
            vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
            refuse_unless(
                VOTE_TRANSITIONS,
                "ballot_cast",
                vote.status,
                _("This vote is closed; ballots can no longer be cast."),
                code="vote_closed",
            )
            # One read: the actor's attendance, the seat it fills (their own, or the one of
            # the person they replace), whether that seat was invited and has voted already.
            found = (
                Attendance.objects.filter(meeting=meeting, person=actor, status__in=PRESENT)
                .annotate(seat=Coalesce("on_behalf_of_id", "person_id"))
                .annotate(
                    invited=Exists(Rsvp.objects.filter(meeting=meeting, invitee_id=OuterRef("seat"))),
                    voted=Exists(VoteParticipation.objects.filter(vote=vote, seat_id=OuterRef("seat"))),
                )
                .values_list("seat", "invited", "voted")
                .first()
            )
            if found is None:
                raise DomainError(_("Only voters signed in to the meeting may vote."), code="not_present")
            seat, invited, voted = found
            if not invited:
                raise DomainError(_("You are not entitled to vote in this meeting."), code="not_eligible")
            if voted:
                raise already
            VoteParticipation.objects.create(vote=vote, seat_id=seat, voter=actor)
            Vote.objects.filter(pk=vote.pk).update(**{choice: F(choice) + 1})
            # Read under the room's lock: no other ballot can have moved the counter meanwhile.
            setattr(vote, choice, getattr(vote, choice) + 1)
            if not vote.secret:
                Ballot.objects.create(vote=vote, seat_id=seat, voter=actor, choice=choice, cast_at=now)
                record_event(
                    name="live.ballot_cast", actor=actor, subject=vote, now=now, seat=seat, choice=choice
                )
            else:
                record_event(name="live.ballot_cast", actor=actor, subject=vote, now=now, seat=seat)
            _changed(room)
    except IntegrityError:
        # The unique (vote, seat) constraint, should two writers ever pass the checks together.
        raise already from None
    return vote


@_logged
def vote_close(*, meeting: Meeting, vote, actor, now: datetime, expected_version=None) -> Vote:
    """The host closes the vote; the rule copied at opening is applied and the result stored.

    Voters present are counted now (invitees signed in, in person or by delegate).
    Side effects: present_count, passed, result_code, closed_at. Records ``live.vote_closed``.
    """
    _require_host(meeting, actor)
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
        vote = locked(Vote, vote.pk, VOTE_TRANSITIONS, "vote_close", ERR_CLOSED, code="vote_closed")
        present = len(present_voter_seats(meeting))
        outcome = decision_rules.decide(
            decision_rules.Counts(
                agree=vote.agree,
                against=vote.against,
                abstain=vote.abstain,
                present=present,
                eligible=vote.eligible_count,
            ),
            method=vote.method,
            min_agree=vote.min_agree,
            quorum_percent=vote.quorum_percent,
        )
        vote.status = V.CLOSED
        vote.closed_at = now
        vote.present_count = present
        vote.passed = outcome.passed
        vote.result_code = outcome.code
        vote.save(update_fields=["status", "closed_at", "present_count", "passed", "result_code"])
        record_event(
            name="live.vote_closed",
            actor=actor,
            subject=vote,
            now=now,
            result=outcome.code,
            failures=list(outcome.failures),
            agree=vote.agree,
            against=vote.against,
            abstain=vote.abstain,
            present=present,
            eligible=vote.eligible_count,
            method=vote.method,
            min_agree=vote.min_agree,
            quorum_percent=vote.quorum_percent,
        )
        _changed(room)
    return vote


@_logged
def vote_to_decision(
    *,
    meeting: Meeting,
    vote,
    actor,
    now: datetime,
    text: str,
    department,
    responsible,
    due_on,
    allocates_resources: bool = False,
    resource_kind: str = "",
    amount=None,
    expected_version=None,
):
    """The host (or recorder) records a passed vote as a decision (决议) of the meeting.

    Through records.services.decision_create (same checks, action item, leadership approval
    for resource decisions); the vote — with its rule, counts and result — is linked to the
    decision (``decision.vote``). Preconditions: the vote is closed and passed and has no
    decision yet. Records ``live.vote_decided``.
    """
    if not (is_host(meeting, actor) or is_recorder(meeting, actor)):
        raise Forbidden(_("Only the meeting's recorder or host may record decisions."), code="not_host")
    with transaction.atomic():
        room = _lock_room(meeting, expected_version)
        vote = _of_meeting(Vote, vote, meeting, _("No such vote."))
        vote = locked(Vote, vote.pk, VOTE_TRANSITIONS, "vote_to_decision", ERR_NOT_PASSED, code="not_passed")
        if not vote.passed:
            raise DomainError(ERR_NOT_PASSED, code="not_passed")
        if vote.decision_id is not None:
            raise DomainError(_("This vote has already been recorded as a decision."), code="already_decided")
        decision = decision_create(
            meeting=meeting,
            text=text,
            department=department,
            responsible=responsible,
            due_on=due_on,
            actor=actor,
            now=now,
            agenda_item=vote.agenda_item,
            allocates_resources=allocates_resources,
            resource_kind=resource_kind,
            amount=amount,
            voted=True,
        )
        vote.decision = decision
        vote.save(update_fields=["decision"])
        record_event(name="live.vote_decided", actor=actor, subject=vote, now=now, decision=decision.pk)
        _changed(room)
    return decision

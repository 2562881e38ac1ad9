"""The decision's transition table (records.services.DECISION_TRANSITIONS): the leadership group's
answers are refused from every state outside it and change nothing, and the record page offers
the answer buttons exactly when the table allows them for the viewer."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.meetings.tests.factories import published_meeting
from xietong.org.permissions import roles_of
from xietong.records import services
from xietong.records.models import Decision

from .helpers import DURING, decide

pytestmark = pytest.mark.django_db

S = Decision.Status
BUTTONS = {"approve": "records:approve", "reject": "records:reject"}


def _in_state(torg, status: str) -> Decision:
    meeting = published_meeting(torg)
    if status == S.EFFECTIVE:
        return decide(torg, meeting)
    decision = decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="5000")
    if status == S.REJECTED:
        services.decision_reject(decision=decision, reason="预算不足", actor=torg.chair, now=DURING)
        decision.refresh_from_db()
    return decision


def _take(torg, action: str, decision: Decision) -> None:
    if action == "approve":
        services.decision_approve(decision=decision, comment="同意", actor=torg.chair, now=DURING)
    else:
        services.decision_reject(decision=decision, reason="不同意", actor=torg.chair, now=DURING)


@pytest.mark.parametrize("status", list(S.values))
def test_every_answer_outside_its_states_is_refused_and_changes_nothing(torg, status):
    decision = _in_state(torg, status)
    before = (decision.status, decision.leadership_comment, decision.leadership_at)
    for action, (states, _role) in services.DECISION_TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError) as err:
            _take(torg, action, decision)
        assert err.value.code == "wrong_state"
        decision.refresh_from_db()
        assert (decision.status, decision.leadership_comment, decision.leadership_at) == before


@pytest.mark.parametrize("status", list(S.values))
def test_the_answer_buttons_are_the_tables_steps_for_the_viewer(torg, login, status):
    decision = _in_state(torg, status)
    for person in (torg.chair, torg.recorder, torg.coordinator):
        expected = set(services.decision_actions(decision, roles=roles_of(person, on=DURING.date())))
        with time_machine.travel(DURING, tick=False):
            page = login(person).get(reverse("records:meeting", args=[decision.meeting_id])).content.decode()
        shown = {action for action, name in BUTTONS.items() if reverse(name, args=[decision.pk]) in page}
        assert shown == expected, (person.username, status)
        assert (status == S.AWAITING_LEADERSHIP and person == torg.chair) == bool(expected)

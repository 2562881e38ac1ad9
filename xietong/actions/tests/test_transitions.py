"""The action items' transition table: each step is refused from every state outside it, and the
detail page offers a step's button exactly when the table allows it for the viewer."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.actions import services
from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError
from xietong.meetings.tests.factories import sh
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai
from xietong.records.tests.helpers import decide, held_meeting

LATER = sh(2026, 3, 12, 10, 0)
S = ActionItem.Status


def _in_state(torg, status: str) -> ActionItem:
    item = ActionItem.objects.get(decision=decide(torg, held_meeting(torg, topics=1)))
    if status == S.IN_PROGRESS:
        services.action_start(item=item, actor=torg.tech_head, now=LATER)
    elif status == S.DONE:
        services.action_complete(item=item, evidence="已完成", actor=torg.tech_head, now=LATER)
    elif status == S.CANCELLED:
        services.action_cancel(item=item, reason="不再需要", actor=torg.coordinator, now=LATER)
    item.refresh_from_db()
    assert item.status == status
    return item


def _take(torg, action: str, item: ActionItem) -> None:
    if action == "start":
        services.action_start(item=item, actor=torg.tech_head, now=LATER)
    elif action == "complete":
        services.action_complete(item=item, evidence="已完成", actor=torg.tech_head, now=LATER)
    elif action == "cancel":
        services.action_cancel(item=item, reason="不再需要", actor=torg.coordinator, now=LATER)
    elif action == "reopen":
        services.action_reopen(item=item, reason="重新处理", actor=torg.coordinator, now=LATER)
    else:
        services.progress_report(
            item=item, status="in_progress", reason="", note="按计划", actor=torg.tech_liaison, now=LATER
        )


STATES = [S.OPEN, S.IN_PROGRESS, S.DONE, S.CANCELLED]


@pytest.mark.parametrize("status", STATES)
def test_every_step_outside_its_states_is_refused_and_changes_nothing(torg, status):
    item = _in_state(torg, status)
    for action, (states, _role) in services.TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError) as err:
            _take(torg, action, item)
        assert err.value.code == "wrong_state"
        item.refresh_from_db()
        assert item.status == status
        assert not item.reports.exists()


@pytest.mark.parametrize("status", STATES)
def test_the_buttons_shown_are_the_tables_steps_for_the_viewer(torg, login, status):
    item = _in_state(torg, status)
    for person in (torg.tech_head, torg.tech_liaison, torg.coordinator):
        with time_machine.travel(LATER, tick=False):
            page = login(person).get(reverse("actions:detail", args=[item.pk])).content.decode()
        roles = roles_of(person, on=as_shanghai(LATER).date())
        expected = {
            action
            for action, (states, role) in services.TRANSITIONS.items()
            if status in states and services.holds(role, item, person, roles=roles)
        }
        shown = {a for a in services.TRANSITIONS if reverse(f"actions:{a}", args=[item.pk]) in page}
        assert shown == expected, (person.username, status)
        assert shown == set(services.allowed_actions(item, person, roles=roles))

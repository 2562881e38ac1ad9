"""The agenda's transition table (agenda.services.TRANSITIONS): each step is refused from every
state outside it and changes nothing, and the builder offers a step's button exactly when the
table allows it."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.agenda import services
from xietong.agenda.models import Agenda
from xietong.core.errors import DomainError
from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import THU_1600, make_topic, next_meeting

pytestmark = pytest.mark.django_db

S = Agenda.Status
BUTTONS = {
    "build": "agenda:build",
    "confirm": "agenda:confirm",
    "reopen": "agenda:reopen",
    "publish": "agenda:publish",
}


def _in_state(torg, status: str) -> Agenda:
    meeting = next_meeting(torg)
    make_topic(torg, meeting, title="议题1", involved=("market",))
    make_topic(torg, meeting, title="议题2")
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    if status != S.DRAFT:
        services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    if status == S.PUBLISHED:
        meeting_services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    agenda.refresh_from_db()
    assert agenda.status == status
    return agenda


def _take(torg, action: str, agenda: Agenda) -> None:
    who = {"actor": torg.coordinator, "now": THU_1600}
    if action == "build":
        services.agenda_build(meeting=agenda.meeting, **who)
    elif action == "edit":
        services.agenda_item_move(item=agenda.items.order_by("position").first(), direction="down", **who)
    elif action == "confirm":
        services.agenda_confirm(agenda=agenda, **who)
    elif action == "reopen":
        services.agenda_reopen(agenda=agenda, **who)
    else:
        meeting_services.meeting_publish(meeting=agenda.meeting, **who)


def _snapshot(agenda: Agenda) -> tuple:
    agenda.refresh_from_db()
    return (
        agenda.status,
        agenda.updated_at,
        list(agenda.items.order_by("position").values_list("id", flat=True)),
    )


@pytest.mark.parametrize("status", list(S.values))
def test_every_step_outside_its_states_is_refused_and_changes_nothing(torg, status):
    agenda = _in_state(torg, status)
    before = _snapshot(agenda)
    for action, (states, _role) in services.TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError):
            _take(torg, action, agenda)
        assert _snapshot(agenda) == before, action


@pytest.mark.parametrize("status", list(S.values))
def test_the_builders_buttons_are_the_tables_steps(torg, login, status):
    agenda = _in_state(torg, status)
    with time_machine.travel(THU_1600, tick=False):
        page = (
            login(torg.coordinator).get(reverse("agenda:builder", args=[agenda.meeting_id])).content.decode()
        )
    shown = {action for action, name in BUTTONS.items() if reverse(name, args=[agenda.meeting_id]) in page}
    planned = agenda.meeting.status == "planned"
    expected = {a for a in services.TRANSITIONS if status in services.TRANSITIONS[a].states and a in BUTTONS}
    # Building and publishing belong to a meeting whose notice is not out yet.
    assert shown == {a for a in expected if planned or a not in ("build", "publish")}

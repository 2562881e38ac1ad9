"""The minutes' transition table: each step is refused from every state outside it, and the page
offers a step's button exactly when the table allows it for the viewer."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services
from xietong.minutes.models import Minutes

AFTER = sh(2026, 3, 9, 11, 0)
S = Minutes.Status
URLS = {
    "save": "minutes:save",
    "submit": "minutes:submit",
    "approve": "minutes:approve",
    "return": "minutes:return",
    "correct": "minutes:correct",
}


def _in_state(torg, meeting, status: str) -> Minutes:
    m = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    if status == S.DRAFT:
        return m
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=AFTER)
    if status == S.IN_REVIEW:
        return m
    if status == S.RETURNED:
        return services.minutes_return(minutes=m, comment="补充决议", actor=torg.host, now=AFTER)
    return services.minutes_approve(minutes=m, actor=torg.host, now=AFTER)


def _take(torg, action: str, minutes: Minutes) -> None:
    if action == "save":
        services.minutes_save(
            minutes=minutes,
            body="新正文",
            expected_version=minutes.edit_version,
            actor=torg.recorder,
            now=AFTER,
        )
    elif action == "submit":
        services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    elif action == "approve":
        services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    elif action == "return":
        services.minutes_return(minutes=minutes, comment="请补充", actor=torg.host, now=AFTER)
    else:
        services.minutes_correct(minutes=minutes, reason="更正笔误", actor=torg.recorder, now=AFTER)


@pytest.mark.parametrize("status", [S.DRAFT, S.IN_REVIEW, S.RETURNED, S.APPROVED])
def test_every_step_outside_its_states_is_refused_and_changes_nothing(torg, status):
    meeting = published_meeting(torg, topics=1)
    minutes = _in_state(torg, meeting, status)
    for action, (states, _role) in services.TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError):
            _take(torg, action, minutes)
        minutes.refresh_from_db()
        assert minutes.status == status
        assert Minutes.objects.filter(meeting=meeting).count() == 1


@pytest.mark.parametrize("status", [S.DRAFT, S.IN_REVIEW, S.RETURNED, S.APPROVED])
def test_the_buttons_shown_are_the_tables_steps_for_the_viewer(torg, login, status):
    meeting = published_meeting(torg, topics=1)
    minutes = _in_state(torg, meeting, status)
    for person in (torg.recorder, torg.host, torg.coordinator):
        client = login(person)
        with time_machine.travel(AFTER, tick=False):
            page = client.get(reverse("minutes:meeting", args=[meeting.pk])).content.decode()
        expected = {
            action
            for action, (states, role) in services.TRANSITIONS.items()
            if status in states and services.holds(role, meeting, person)
        }
        shown = {action for action, name in URLS.items() if reverse(name, args=[minutes.pk]) in page}
        assert shown == expected, (person.username, status)
        assert shown == set(services.allowed_actions(minutes, person))

"""The meeting's transition table (meetings.services.TRANSITIONS): each step is refused from every
state outside it and changes nothing, and the meeting page and the record page offer a step's form
exactly when the table allows it for the viewer."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.meetings import services
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import THU_1800, confirmed_meeting, published_meeting, sh
from xietong.org.permissions import roles_of
from xietong.records import services as record_services
from xietong.records.tests.helpers import DURING, settle_items

pytestmark = pytest.mark.django_db

S = Meeting.Status
FORMS = {"reschedule": "meetings:reschedule", "cancel": "meetings:cancel"}


def _in_state(torg, status: str) -> Meeting:
    if status == S.PLANNED:
        return confirmed_meeting(torg)
    meeting = published_meeting(torg)
    if status == S.CANCELLED:
        services.meeting_cancel(meeting=meeting, reason="临时取消", actor=torg.coordinator, now=THU_1800)
    elif status == S.HELD:
        settle_items(torg, meeting)
        record_services.record_close(meeting=meeting, actor=torg.recorder, now=DURING)
    meeting.refresh_from_db()
    assert meeting.status == status
    return meeting


def _take(torg, action: str, meeting: Meeting) -> None:
    if action == "publish":
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    elif action == "reschedule":
        services.meeting_reschedule(
            meeting=meeting,
            starts_at=sh(2026, 3, 10, 9, 0),
            location="三楼",
            actor=torg.coordinator,
            now=THU_1800,
        )
    elif action == "cancel":
        services.meeting_cancel(meeting=meeting, reason="取消", actor=torg.coordinator, now=THU_1800)
    else:
        record_services.record_close(meeting=meeting, actor=torg.recorder, now=DURING)


@pytest.mark.parametrize("status", list(S.values))
def test_every_step_outside_its_states_is_refused_and_changes_nothing(torg, status):
    meeting = _in_state(torg, status)
    before = (meeting.status, meeting.starts_at, meeting.ics_sequence)
    for action, (states, _role) in services.TRANSITIONS.items():
        if status in states:
            continue
        with pytest.raises(DomainError):
            _take(torg, action, meeting)
        meeting.refresh_from_db()
        assert (meeting.status, meeting.starts_at, meeting.ics_sequence) == before, action


@pytest.mark.parametrize("status", list(S.values))
def test_the_forms_shown_are_the_tables_steps_for_the_viewer(torg, login, status):
    meeting = _in_state(torg, status)
    for person in (torg.coordinator, torg.recorder, torg.host, torg.tech_head):
        roles = roles_of(person, on=THU_1800.date())
        expected = set(services.allowed_actions(meeting, person, roles=roles))
        assert expected == {
            action
            for action, (states, role) in services.TRANSITIONS.items()
            if status in states and services.holds(role, meeting, person, roles=roles)
        }
        client = login(person)
        with time_machine.travel(THU_1800, tick=False):
            response = client.get(reverse("meetings:detail", args=[meeting.pk]))
        if response.status_code == 404:
            assert not expected & set(FORMS), person.username
            continue
        page = response.content.decode()
        shown = {action for action, name in FORMS.items() if reverse(name, args=[meeting.pk]) in page}
        assert shown == expected & set(FORMS), (person.username, status)
        with time_machine.travel(DURING, tick=False):
            response = client.get(reverse("records:meeting", args=[meeting.pk]))
        if response.status_code == 200:
            shown_close = reverse("records:close", args=[meeting.pk]) in response.content.decode()
            assert shown_close == ("close" in expected), (person.username, status)

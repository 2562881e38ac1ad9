"""Reactions to domain events: a later stage's work runs inside the earlier stage's service."""

from __future__ import annotations

import pytest

from xietong.actions import services as action_services
from xietong.agenda import services as agenda_services
from xietong.core.errors import DomainError
from xietong.core.events import reactions
from xietong.core.models import Event
from xietong.meetings import services
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.obligations.models import Obligation
from xietong.obligations.selectors import obligations_for
from xietong.topics.models import Topic

THU_2000 = sh(2026, 3, 5, 20, 0)


@pytest.fixture
def reaction():
    """reaction(name, handler): registered for this test only."""
    added = []

    def connect(name, handler):
        reactions.connect(name, handler)
        added.append((name, handler))

    yield connect
    for name, handler in added:
        reactions.disconnect(name, handler)


def test_the_later_stages_react_to_the_meetings_and_decisions():
    assert agenda_services.topics_roll_over in reactions.handlers("meeting.cancelled")
    assert agenda_services.agenda_publish_with_notice in reactions.handlers("meeting.published")
    assert action_services.on_meeting_scheduled in reactions.handlers("meeting.scheduled")
    assert action_services.on_decision_created in reactions.handlers("decision.created")
    assert action_services.on_decision_approved in reactions.handlers("decision.approved")
    assert action_services.on_record_closed in reactions.handlers("record.closed")


def test_reactions_run_in_registration_order_after_the_event_is_written(torg, reaction):
    meeting = published_meeting(torg)
    seen = []

    def first(*, event, subject, actor, now):
        seen.append(("first", event.pk is not None, subject.status, actor, now))

    def second(*, event, subject, actor, now):
        seen.append(("second", event.name, subject.pk))

    reaction("meeting.cancelled", first)
    reaction("meeting.cancelled", second)
    services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    assert seen == [
        ("first", True, Meeting.Status.CANCELLED, torg.coordinator, THU_2000),
        ("second", "meeting.cancelled", meeting.pk),
    ]


def test_a_reaction_adds_what_it_did_to_the_event(torg):
    meeting = published_meeting(torg, topics=2)
    moved = sorted(Topic.objects.filter(meeting=meeting).values_list("pk", flat=True))
    services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    event = Event.objects.get(name="meeting.cancelled", subject_id=meeting.pk)
    assert sorted(event.data["topics"]) == moved
    assert event.data["reason"] == "领导出差"


def test_a_refusing_reaction_rolls_the_whole_service_back(torg, reaction):
    meeting = published_meeting(torg, topics=1)
    topic = Topic.objects.get(meeting=meeting)

    def refuse(*, event, subject, actor, now):
        raise DomainError("不行", code="refused_by_reaction")

    reaction("meeting.cancelled", refuse)
    with pytest.raises(DomainError) as err:
        services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    assert err.value.code == "refused_by_reaction"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED and meeting.ics_sequence == 0
    assert meeting.notices.count() == 1
    assert obligations_for(meeting).filter(state=Obligation.State.WAIVED).count() == 0
    topic.refresh_from_db()
    assert topic.status == Topic.Status.SCHEDULED and topic.meeting_id == meeting.pk
    assert not Event.objects.filter(name__in=["meeting.cancelled", "topic.deferred"]).exists()


def test_registering_a_reaction_twice_runs_it_once(torg, reaction):
    meeting = published_meeting(torg)
    calls = []

    def once(*, event, subject, actor, now):
        calls.append(event.pk)

    reaction("meeting.cancelled", once)
    reaction("meeting.cancelled", once)
    services.meeting_cancel(meeting=meeting, reason="x", actor=torg.coordinator, now=THU_2000)
    assert len(calls) == 1

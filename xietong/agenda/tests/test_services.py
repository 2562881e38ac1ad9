from __future__ import annotations

import pytest
from django.utils import translation

from xietong.agenda import services
from xietong.agenda.models import Agenda, AgendaItem
from xietong.agenda.selectors import deferred_topics
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.services import meeting_publish, meeting_schedule
from xietong.meetings.tests.factories import (
    MON,
    THU_1600,
    THU_1800,
    make_topic,
    next_meeting,
    policy_version_with,
    sh,
)
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.policy.services import policy_install_preset
from xietong.topics.models import Topic

OUTSIDERS = ["tech_head", "tech_liaison", "outsider", "host"]


def _items(agenda):
    return list(agenda.items.order_by("position"))


def test_build_fills_up_to_cap_by_priority_and_defers_what_does_not_fit(torg):
    meeting = next_meeting(torg)
    low = make_topic(torg, meeting, title="低", priority=Topic.Priority.LOW, budget=15)
    normal = make_topic(torg, meeting, title="普通", priority=Topic.Priority.NORMAL, budget=30)
    high_late = make_topic(
        torg,
        meeting,
        title="高-晚",
        priority=Topic.Priority.HIGH,
        budget=30,
        submitted_at=sh(2026, 3, 5, 14, 0),
    )
    high_early = make_topic(
        torg,
        meeting,
        title="高-早",
        priority=Topic.Priority.HIGH,
        budget=30,
        submitted_at=sh(2026, 3, 5, 11, 0),
    )

    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)

    # seed 01: cap 90 (第五条(二)2), 10 min kept for open discussion -> 80 for topics.
    items = _items(agenda)
    assert [i.topic_id for i in items] == [high_early.pk, high_late.pk, low.pk, None]
    assert [i.budget_minutes for i in items] == [30, 30, 15, 10]
    assert items[-1].kind == AgendaItem.Kind.OPEN_DISCUSSION
    assert agenda.cap_minutes == 90
    assert services.agenda_total(agenda) == 85

    for topic in (high_early, high_late, low):
        topic.refresh_from_db()
        assert topic.status == Topic.Status.SCHEDULED
        assert topic.meeting_id == meeting.pk
    normal.refresh_from_db()
    following = Meeting.objects.get(series=torg.series, starts_at=sh(2026, 3, 16, 9, 0))
    assert normal.status == Topic.Status.TRIAGED
    assert normal.meeting_id == following.pk
    assert normal.rollover_count == 1
    assert "90" in normal.deferral_reason and "第五条(二)2" in normal.deferral_reason
    # Stored in the organisation's language whatever the coordinator's page language is.
    with translation.override("en"):
        assert services._full_reason(meeting, 90) == normal.deferral_reason
    [deferral] = deferred_topics(agenda)
    assert deferral.topic_id == normal.pk and deferral.reason == normal.deferral_reason
    assert Event.objects.filter(name="agenda.built", subject_id=agenda.pk).exists()


def test_budgets_default_from_the_policy(torg):
    meeting = next_meeting(torg)
    topic = make_topic(torg, meeting, budget=None)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    item = agenda.items.get(topic=topic)
    assert item.budget_minutes == meeting.policy_version.rules.minutes("default_item_budget") == 15


def test_unset_priority_comes_last(torg):
    meeting = next_meeting(torg)
    none = make_topic(torg, meeting, title="无", priority=None, submitted_at=sh(2026, 3, 4, 9, 0))
    low = make_topic(
        torg, meeting, title="低", priority=Topic.Priority.LOW, submitted_at=sh(2026, 3, 5, 9, 0)
    )
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert [i.topic_id for i in _items(agenda) if i.topic_id] == [low.pk, none.pk]


def test_open_discussion_slot_with_seed02(torg):
    policy = policy_install_preset(name="seed02-coordination", now=MON)
    meeting = meeting_schedule(
        series=None, policy=policy, starts_at=sh(2026, 3, 10, 14, 0), now=MON, title="协调会"
    )
    make_topic(torg, meeting, budget=20)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    items = _items(agenda)
    assert items[-1].kind == AgendaItem.Kind.OPEN_DISCUSSION
    assert items[-1].budget_minutes == 10  # seed 02 三、(六)1
    assert agenda.cap_minutes == 60  # seed 02 二、(一)1


def test_no_open_discussion_slot_when_policy_says_zero(torg):
    version = policy_version_with(torg.policy, "seed01-weekly", open_discussion_slot={"minutes": 0})
    meeting = next_meeting(torg)
    meeting.policy_version = version
    meeting.save()
    make_topic(torg, meeting, budget=90)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    items = _items(agenda)
    assert [i.kind for i in items] == [AgendaItem.Kind.TOPIC]
    assert items[0].budget_minutes == 90  # the whole cap is available without a slot


def test_rebuild_unschedules_first_and_picks_up_new_topics(torg):
    meeting = next_meeting(torg)
    first = make_topic(torg, meeting, title="一", priority=Topic.Priority.NORMAL)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    urgent = make_topic(torg, meeting, title="急", priority=Topic.Priority.URGENT)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert [i.topic_id for i in _items(agenda) if i.topic_id] == [urgent.pk, first.pk]
    assert Agenda.objects.filter(meeting=meeting).count() == 1
    assert Event.objects.filter(name="topic.unscheduled", subject_id=first.pk).count() == 1
    first.refresh_from_db()
    assert first.status == Topic.Status.SCHEDULED


def test_rebuild_refused_once_confirmed(torg):
    meeting = next_meeting(torg)
    make_topic(torg, meeting)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    with pytest.raises(DomainError) as err:
        services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "agenda_not_draft"


def test_build_refused_after_the_meeting_started(torg):
    meeting = next_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.agenda_build(meeting=meeting, actor=torg.coordinator, now=sh(2026, 3, 9, 9, 30))
    assert err.value.code == "meeting_started"


@pytest.fixture
def built(torg):
    meeting = next_meeting(torg)
    a = make_topic(torg, meeting, title="A", priority=1, budget=20)
    b = make_topic(torg, meeting, title="B", priority=2, budget=20)
    c = make_topic(torg, meeting, title="C", priority=3, budget=20)
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    return meeting, agenda, (a, b, c)


def test_move_items(torg, built):
    _meeting, agenda, (a, b, c) = built
    item_c = agenda.items.get(topic=c)
    services.agenda_item_move(item=item_c, direction="up", actor=torg.coordinator, now=THU_1600)
    assert [i.topic_id for i in _items(agenda)] == [a.pk, c.pk, b.pk, None]
    item_a = agenda.items.get(topic=a)
    services.agenda_item_move(item=item_a, direction="down", actor=torg.coordinator, now=THU_1600)
    assert [i.topic_id for i in _items(agenda)] == [c.pk, a.pk, b.pk, None]


def test_move_refusals(torg, built):
    _meeting, agenda, (a, b, c) = built
    with pytest.raises(DomainError) as err:
        services.agenda_item_move(
            item=agenda.items.get(topic=a), direction="up", actor=torg.coordinator, now=THU_1600
        )
    assert err.value.code == "cannot_move"
    with pytest.raises(DomainError) as err:  # nothing goes below the open-discussion slot
        services.agenda_item_move(
            item=agenda.items.get(topic=c), direction="down", actor=torg.coordinator, now=THU_1600
        )
    assert err.value.code == "cannot_move"
    slot = agenda.items.get(kind=AgendaItem.Kind.OPEN_DISCUSSION)
    with pytest.raises(DomainError) as err:
        services.agenda_item_move(item=slot, direction="up", actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "cannot_move"


def test_set_budget_and_cap_refusal(torg, built):
    _meeting, agenda, (a, b, c) = built
    item = agenda.items.get(topic=a)
    services.agenda_item_set_budget(item=item, minutes=30, actor=torg.coordinator, now=THU_1600)
    item.refresh_from_db()
    assert item.budget_minutes == 30
    # 30 + 20 + 20 + 10 = 80; 41 would make 91 > 90
    with pytest.raises(DomainError) as err:
        services.agenda_item_set_budget(item=item, minutes=41, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "over_cap"
    assert err.value.field == "budget_minutes"
    with translation.override("en"):
        assert "90" in str(err.value) and "第五条(二)2" in str(err.value)
    item.refresh_from_db()
    assert item.budget_minutes == 30
    services.agenda_item_set_budget(item=item, minutes=40, actor=torg.coordinator, now=THU_1600)
    with pytest.raises(DomainError) as err:
        services.agenda_item_set_budget(item=item, minutes=0, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "budget_too_small"


def test_remove_defers_the_topic_with_the_coordinators_reason(torg, built):
    meeting, agenda, (a, b, c) = built
    services.agenda_item_remove(
        item=agenda.items.get(topic=b), reason="材料未准备好", actor=torg.coordinator, now=THU_1600
    )
    b.refresh_from_db()
    assert b.status == Topic.Status.TRIAGED
    assert b.meeting.starts_at == sh(2026, 3, 16, 9, 0)
    assert b.deferral_reason == "材料未准备好"
    assert [i.position for i in _items(agenda)] == [1, 2, 3]
    assert [i.topic_id for i in _items(agenda)] == [a.pk, c.pk, None]
    assert deferred_topics(agenda)[0].reason == "材料未准备好"


def test_remove_needs_a_reason(torg, built):
    _meeting, agenda, (a, b, c) = built
    with pytest.raises(DomainError) as err:
        services.agenda_item_remove(
            item=agenda.items.get(topic=b), reason="  ", actor=torg.coordinator, now=THU_1600
        )
    assert err.value.code == "reason_required" and err.value.field == "reason"
    assert agenda.items.filter(topic=b).exists()


def _agenda_duty(meeting):
    return obligations_for(meeting).get(kind=ObligationKind.AGENDA)


def test_confirm_on_time_closes_the_duty_met(torg, built):
    meeting, agenda, _topics = built
    closed = services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    agenda.refresh_from_db()
    assert agenda.status == Agenda.Status.CONFIRMED
    assert closed.state == Obligation.State.MET
    assert _agenda_duty(meeting).state == Obligation.State.MET
    assert Event.objects.get(name="agenda.confirmed").data["late"] is False


def test_confirm_late_is_breached_in_the_ledger(torg, built):
    meeting, agenda, _topics = built
    closed = services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1800)
    assert closed.state == Obligation.State.BREACHED
    assert closed.clause == "第五条(二)1"
    event = Event.objects.get(name="agenda.confirmed")
    assert event.data["late"] is True and event.data["clause"] == "第五条(二)1"


def test_confirm_refused_for_an_empty_agenda(torg):
    version = policy_version_with(torg.policy, "seed01-weekly", open_discussion_slot={"minutes": 0})
    meeting = next_meeting(torg)
    meeting.policy_version = version
    meeting.save()
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    with pytest.raises(DomainError) as err:
        services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "agenda_empty"


def test_reopen_before_publication_only(torg, built):
    meeting, agenda, _topics = built
    with pytest.raises(DomainError):
        services.agenda_reopen(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    services.agenda_reopen(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    agenda.refresh_from_db()
    assert agenda.status == Agenda.Status.DRAFT
    services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    agenda.refresh_from_db()
    assert agenda.status == Agenda.Status.PUBLISHED
    with pytest.raises(DomainError) as err:
        services.agenda_reopen(agenda=agenda, actor=torg.coordinator, now=THU_1800)
    assert err.value.code == "agenda_not_confirmed"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_coordinator_builds_and_edits(torg, built, who):
    meeting, agenda, (a, b, c) = built
    person = getattr(torg, who)
    before = [(i.pk, i.position, i.budget_minutes) for i in _items(agenda)]
    item = agenda.items.get(topic=b)
    calls = [
        lambda: services.agenda_build(meeting=meeting, actor=person, now=THU_1600),
        lambda: services.agenda_item_move(item=item, direction="up", actor=person, now=THU_1600),
        lambda: services.agenda_item_set_budget(item=item, minutes=5, actor=person, now=THU_1600),
        lambda: services.agenda_item_remove(item=item, reason="x", actor=person, now=THU_1600),
        lambda: services.agenda_confirm(agenda=agenda, actor=person, now=THU_1600),
        lambda: services.agenda_reopen(agenda=agenda, actor=person, now=THU_1600),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call()
    assert [(i.pk, i.position, i.budget_minutes) for i in _items(agenda)] == before
    agenda.refresh_from_db()
    assert agenda.status == Agenda.Status.DRAFT
    b.refresh_from_db()
    assert b.status == Topic.Status.SCHEDULED


def test_agenda_from_topics_made_through_the_topic_services(torg):
    from xietong.topics import services as topics

    meeting = next_meeting(torg)
    topic = topics.topic_create(
        actor=torg.tech_liaison,
        now=MON,
        department=torg.departments["tech"],
        series=torg.series,
        title="服务器采购协调",
        background="背景",
        collaboration_need="需要财务部配合",
        expected_outcome="确定采购方案",
        initial_solution="分批采购",
        departments_involved=[torg.departments["finance"]],
    )
    topics.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=MON)
    topics.topic_approve(topic=topic, actor=torg.tech_head, now=MON)
    # Submitted inside the topic window (第六条1: Thursday from 10:00), before the 15:00 cut-off.
    topics.topic_submit(topic=topic, actor=torg.tech_liaison, now=sh(2026, 3, 5, 11, 0))
    topics.topic_triage(
        topic=topic,
        actor=torg.coordinator,
        now=sh(2026, 3, 5, 11, 30),
        category=Topic.Category.RESOURCE,
        priority=Topic.Priority.HIGH,
    )
    topic.refresh_from_db()
    assert topic.meeting_id == meeting.pk
    agenda = services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert agenda.items.filter(topic=topic, budget_minutes=15).exists()
    topic.refresh_from_db()
    assert topic.status == Topic.Status.SCHEDULED

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from xietong.core.events import record_event
from xietong.core.models import Event
from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import FRI_1000, THU_1800, published_meeting, sh
from xietong.notify.models import Channel, Delivery, DepartmentRobot, Message, Preference
from xietong.notify.services import notify_dispatch
from xietong.obligations.models import Obligation, ObligationKind
from xietong.records.tests.helpers import DURING, decide, held_meeting

D = Delivery.State


def test_meeting_notice_reaches_every_invitee_once(torg):
    meeting = published_meeting(torg)
    invitees = set(meeting.rsvps.values_list("invitee_id", flat=True))
    assert invitees
    assert notify_dispatch(now=THU_1800) > 0
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()
    notices = Message.objects.filter(topic="meeting_notice")
    assert set(notices.values_list("recipient_id", flat=True)) == invitees
    assert notices.count() == len(invitees)
    # One e-mail delivery each (everyone in the test organisation has an address), no robot yet.
    assert set(Delivery.objects.filter(message__in=notices).values_list("channel", flat=True)) == {
        Channel.EMAIL
    }
    assert Delivery.objects.filter(message__in=notices).count() == len(invitees)


def test_a_redone_batch_writes_nothing_twice(torg):
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    messages, deliveries = Message.objects.count(), Delivery.objects.count()
    # A crash after the messages were written but before the batch committed looks, on the
    # next run, exactly like this: the events are undispatched again.
    Event.objects.update(dispatched_at=None)
    notify_dispatch(now=THU_1800)
    assert (Message.objects.count(), Delivery.objects.count()) == (messages, deliveries)


def test_events_without_a_handler_are_only_marked(torg):
    before = Message.objects.count()
    event = record_event(
        name="topic.updated", actor=torg.tech_liaison, subject=torg.tech_liaison, now=THU_1800
    )
    notify_dispatch(now=THU_1800)
    event.refresh_from_db()
    assert event.dispatched_at == THU_1800
    assert Message.objects.count() == before


def test_batches_follow_event_order(torg):
    for _ in range(5):
        record_event(name="topic.updated", actor=None, subject=torg.outsider, now=THU_1800)
    first = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert notify_dispatch(now=THU_1800, batch=2) == 2
    done = set(Event.objects.filter(dispatched_at__isnull=False).values_list("id", flat=True))
    assert done == set(first[:2])


def test_channels_follow_preferences_and_department_robots(torg):
    DepartmentRobot.objects.create(
        department=torg.departments["tech"],
        kind=Channel.DINGTALK,
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=abcdefgh123",
        updated_at=THU_1800,
    )
    Preference.objects.create(person=torg.tech_head, email=False, robots=True, updated_at=THU_1800)
    Preference.objects.create(person=torg.market_head, daily_digest=True, robots=False, updated_at=THU_1800)
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    tech = Delivery.objects.filter(person=torg.tech_head)
    assert list(tech.values_list("channel", "state")) == [(Channel.DINGTALK, D.PENDING)]
    market = Delivery.objects.filter(person=torg.market_head)
    assert list(market.values_list("channel", "state")) == [(Channel.EMAIL, D.HELD)]
    # Inbox always.
    assert Message.objects.filter(recipient=torg.tech_head).exists()


def test_reschedule_and_cancel_notify_invitees(torg):
    meeting = published_meeting(torg)
    notify_dispatch(now=THU_1800)
    meeting_services.meeting_reschedule(
        meeting=meeting,
        starts_at=sh(2026, 3, 9, 14, 0),
        location="五楼",
        actor=torg.coordinator,
        now=FRI_1000,
    )
    meeting.refresh_from_db()
    meeting_services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=FRI_1000)
    notify_dispatch(now=FRI_1000)
    invitees = meeting.rsvps.count()
    assert Message.objects.filter(topic="meeting_rescheduled").count() == invitees
    cancelled = Message.objects.filter(topic="meeting_cancelled")
    assert cancelled.count() == invitees
    assert cancelled.first().params["reason"] == "领导出差"


def test_decision_needing_leadership_goes_to_the_leadership_group(torg):
    meeting = held_meeting(torg, topics=1)
    with time_machine.travel(DURING, tick=False):
        decide(torg, meeting)
        decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="50000")
    notify_dispatch(now=DURING)
    leadership = Message.objects.filter(topic="decision_awaiting_leadership")
    assert list(leadership.values_list("recipient_id", flat=True)) == [torg.chair.pk]


def test_action_created_goes_to_its_owner(torg):
    from xietong.actions.models import ActionItem

    meeting = held_meeting(torg, topics=1)
    with time_machine.travel(DURING, tick=False):
        decision = decide(torg, meeting)
    item = ActionItem.objects.get(decision=decision)  # created with the effective decision
    notify_dispatch(now=DURING)
    assigned = Message.objects.get(topic="action_assigned")
    assert assigned.recipient_id == item.owner_id == torg.tech_head.pk
    assert assigned.link == f"/actions/{item.pk}/"


def _obligation(torg, *, responsible=None, department=None) -> Obligation:
    from django.contrib.contenttypes.models import ContentType

    meeting = published_meeting(torg)
    return Obligation.objects.create(
        kind=ObligationKind.RSVP,
        rule="rsvp_due",
        clause="第五条",
        policy_version=meeting.policy_version,
        responsible=responsible,
        department=department,
        subject_type=ContentType.objects.get_for_model(meeting),
        subject_id=meeting.pk,
        due_at=FRI_1000 + timedelta(days=1),
        opened_at=THU_1800,
    )


def _ledger_event(name, obligation, **data):
    return record_event(name=name, actor=None, subject=obligation, now=FRI_1000, **data)


@pytest.mark.parametrize("with_person", [True, False])
def test_obligation_reminder_goes_to_the_person_or_the_liaison(torg, with_person):
    ob = _obligation(
        torg, responsible=torg.tech_deputy if with_person else None, department=torg.departments["tech"]
    )
    Event.objects.update(dispatched_at=THU_1800)
    _ledger_event("obligation.reminder", ob, step=2)
    notify_dispatch(now=FRI_1000)
    reminder = Message.objects.get(topic="obligation_reminder")
    assert reminder.recipient == (torg.tech_deputy if with_person else torg.tech_liaison)
    assert reminder.params["step"] == 2 and reminder.params["clause"] == "第五条"


def test_obligation_breached_goes_to_the_person_and_their_head(torg):
    ob = _obligation(torg, responsible=torg.tech_deputy, department=torg.departments["tech"])
    Event.objects.update(dispatched_at=THU_1800)
    _ledger_event("obligation.breached", ob)
    notify_dispatch(now=FRI_1000)
    recipients = set(
        Message.objects.filter(topic="obligation_breached").values_list("recipient_id", flat=True)
    )
    assert recipients == {torg.tech_deputy.pk, torg.tech_head.pk}


def test_obligation_escalated_goes_to_the_leadership_group(torg):
    ob = _obligation(torg, responsible=torg.tech_deputy, department=torg.departments["tech"])
    Event.objects.update(dispatched_at=THU_1800)
    _ledger_event("obligation.escalated", ob, misses=3)
    notify_dispatch(now=FRI_1000)
    escalated = Message.objects.get(topic="obligation_escalated")
    assert escalated.recipient == torg.chair
    from xietong.notify.topics import render

    text = render(escalated.topic, escalated.params, language="en")
    assert "3 times" in text.body and "郑副职" in text.body and "Reply to a meeting notice" in text.body


def test_message_text_follows_the_readers_language(torg):
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    from xietong.notify.topics import render

    message = Message.objects.filter(topic="meeting_notice").first()
    english = render(message.topic, message.params, language="en")
    assert english.subject.startswith("Meeting notice: ")
    assert "2026-03-09 09:00" in english.body  # Shanghai time


def test_approved_minutes_notify_the_drafter_and_every_recipient(torg):
    from xietong.minutes import services as minutes_services
    from xietong.minutes.services import minutes_recipients

    meeting = published_meeting(torg)
    after = sh(2026, 3, 9, 11, 0)
    with time_machine.travel(after, tick=False):
        minutes = minutes_services.minutes_draft(meeting=meeting, actor=torg.recorder, now=after)
        minutes = minutes_services.minutes_submit(minutes=minutes, actor=torg.recorder, now=after)
        minutes = minutes_services.minutes_approve(minutes=minutes, actor=torg.host, now=after)
    notify_dispatch(now=after)
    approved = Message.objects.get(topic="minutes_approved")
    assert approved.recipient == torg.recorder
    distributed = Message.objects.filter(topic="minutes_distributed")
    assert set(distributed.values_list("recipient_id", flat=True)) == set(minutes_recipients(meeting.pk))
    assert torg.chair.pk in set(distributed.values_list("recipient_id", flat=True))
    assert distributed.first().link == f"/minutes/{minutes.pk}/"

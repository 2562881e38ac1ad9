from __future__ import annotations

import pytest

from xietong.agenda.models import AgendaItem
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings import services
from xietong.meetings.models import Meeting, Notice, Rsvp
from xietong.meetings.tests.factories import (
    MEETING,
    THU_1600,
    confirmed_meeting,
    make_topic,
    next_meeting,
    published_meeting,
    sh,
)
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.topics.models import Topic

THU_2000 = sh(2026, 3, 5, 20, 0)
OUTSIDERS = ["tech_head", "tech_liaison", "outsider", "host"]


def test_reschedule_a_published_meeting(torg):
    meeting = published_meeting(torg)
    rsvp = meeting.rsvps.get(invitee=torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="absent", reason="出差", actor=torg.market_head, now=THU_2000)
    services.meeting_reschedule(
        meeting=meeting,
        starts_at=sh(2026, 3, 10, 14, 0),
        location="五楼",
        actor=torg.coordinator,
        now=THU_2000,
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == sh(2026, 3, 10, 14, 0) and meeting.ends_at == sh(2026, 3, 10, 15, 30)
    assert meeting.location == "五楼"
    assert meeting.title == "跨科室周例会（2026-03-10）"
    assert meeting.ics_sequence == 1
    assert list(meeting.notices.order_by("sequence").values_list("sequence", flat=True)) == [0, 1]
    # The time moved: people answer again, with a new reply duty for the new time.
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING and rsvp.reason == ""
    duty = (
        obligations_for(meeting).filter(kind=ObligationKind.RSVP, responsible=torg.market_head).latest("id")
    )
    assert duty.state == Obligation.State.PENDING and duty.due_at == sh(2026, 3, 9, 14, 0)
    assert Event.objects.filter(name="meeting.rescheduled").count() == 1


def test_changing_only_the_place_keeps_the_answers(torg):
    meeting = published_meeting(torg)
    rsvp = meeting.rsvps.get(invitee=torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="attend", actor=torg.market_head, now=THU_2000)
    services.meeting_reschedule(
        meeting=meeting, starts_at=meeting.starts_at, location="五楼", actor=torg.coordinator, now=THU_2000
    )
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.ATTEND
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 1 and meeting.notices.count() == 2


def test_reschedule_a_planned_meeting_moves_its_pending_deadlines(torg):
    meeting = next_meeting(torg)
    services.meeting_reschedule(
        meeting=meeting, starts_at=sh(2026, 3, 17, 9, 0), location="", actor=torg.coordinator, now=THU_1600
    )
    agenda_duty = obligations_for(meeting).get(kind=ObligationKind.AGENDA, state=Obligation.State.PENDING)
    assert agenda_duty.due_at == sh(2026, 3, 12, 17, 0)
    assert not Notice.objects.exists()


def test_reschedule_refusals(torg):
    meeting = published_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.meeting_reschedule(
            meeting=meeting, starts_at=sh(2026, 3, 5, 8, 0), location="", actor=torg.coordinator, now=THU_2000
        )
    assert err.value.field == "starts_at"
    with pytest.raises(DomainError) as err:
        services.meeting_reschedule(
            meeting=meeting,
            starts_at=meeting.starts_at,
            location=meeting.location,
            actor=torg.coordinator,
            now=THU_2000,
        )
    assert err.value.code == "unchanged"
    with pytest.raises(DomainError) as err:
        services.meeting_reschedule(
            meeting=meeting, starts_at=sh(2026, 3, 20, 9, 0), location="", actor=torg.coordinator, now=MEETING
        )
    assert err.value.code == "meeting_started"
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 0


def test_cancel(torg):
    meeting = published_meeting(torg, topics=2)
    scheduled = list(Topic.objects.filter(meeting=meeting, status=Topic.Status.SCHEDULED))
    waiting = make_topic(torg, meeting, title="未排入")
    services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.cancelled_reason == "领导出差"
    assert meeting.ics_sequence == 1
    notice = meeting.notices.latest("sequence")
    assert notice.is_cancellation and notice.sequence == 1
    assert not obligations_for(meeting).filter(state=Obligation.State.PENDING).exists()
    assert obligations_for(meeting).filter(kind=ObligationKind.RSVP, state=Obligation.State.WAIVED).exists()
    following = Meeting.objects.get(series=torg.series, starts_at=sh(2026, 3, 16, 9, 0))
    for topic in [*scheduled, waiting]:
        topic.refresh_from_db()
        assert topic.status == Topic.Status.TRIAGED
        assert topic.meeting_id == following.pk
        assert "领导出差" in topic.deferral_reason
    assert len(Event.objects.get(name="meeting.cancelled").data["topics"]) == 3
    # The next meeting is now the series' next one.
    assert services.series_next_meeting(series=torg.series, now=THU_2000) == following


def test_cancel_refusals(torg):
    meeting = confirmed_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.meeting_cancel(meeting=meeting, reason="", actor=torg.coordinator, now=THU_2000)
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        services.meeting_cancel(meeting=meeting, reason="晚了", actor=torg.coordinator, now=MEETING)
    assert err.value.code == "meeting_started"
    services.meeting_cancel(meeting=meeting, reason="取消", actor=torg.coordinator, now=THU_2000)
    with pytest.raises(DomainError) as err:
        services.meeting_cancel(meeting=meeting, reason="再取消", actor=torg.coordinator, now=THU_2000)
    assert err.value.code == "meeting_closed"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_coordinator_changes_or_cancels(torg, who):
    meeting = published_meeting(torg)
    person = getattr(torg, who)
    with pytest.raises(Forbidden):
        services.meeting_cancel(meeting=meeting, reason="x", actor=person, now=THU_2000)
    with pytest.raises(Forbidden):
        services.meeting_reschedule(
            meeting=meeting, starts_at=sh(2026, 3, 10, 9, 0), location="", actor=person, now=THU_2000
        )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED and meeting.ics_sequence == 0
    assert meeting.notices.count() == 1
    assert AgendaItem.objects.filter(agenda__meeting=meeting, topic__isnull=False).count() == 1


def test_a_cancelled_occurrence_is_not_scheduled_again(torg):
    meeting = next_meeting(torg)
    services.meeting_cancel(meeting=meeting, reason="放假", actor=torg.coordinator, now=THU_1600)
    again = services.series_next_meeting(series=torg.series, now=THU_1600)
    assert again.starts_at == sh(2026, 3, 16, 9, 0)
    planned = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=THU_1600)
    assert planned.starts_at == sh(2026, 3, 23, 9, 0)
    assert not Meeting.objects.filter(starts_at=MEETING).exclude(status=Meeting.Status.CANCELLED).exists()

from __future__ import annotations

import pytest
from django.utils import translation

from xietong.agenda.models import Agenda
from xietong.agenda.services import agenda_build, agenda_confirm
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings import services
from xietong.meetings.models import Meeting, Notice, Rsvp
from xietong.meetings.tests.factories import (
    FRI_1000,
    FRI_1800,
    MEETING,
    MON,
    THU_1600,
    THU_1800,
    confirmed_meeting,
    make_topic,
    next_meeting,
    sh,
)
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Delegation
from xietong.policy.services import policy_install_preset

OUTSIDERS = ["tech_head", "tech_liaison", "outsider", "host"]


def _invitees(meeting) -> dict[str, str]:
    return {r.invitee.username: r.invited_as for r in meeting.rsvps.select_related("invitee")}


def test_publish_on_time(torg):
    meeting = confirmed_meeting(torg)
    notice = services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED
    assert meeting.published_at == THU_1800
    assert not meeting.is_emergency
    assert notice.sequence == meeting.ics_sequence == 0
    assert "议题1" in notice.body
    assert Agenda.objects.get(meeting=meeting).status == Agenda.Status.PUBLISHED
    duty = obligations_for(meeting).get(kind=ObligationKind.NOTICE)
    assert duty.state == Obligation.State.MET
    event = Event.objects.get(name="meeting.published")
    assert event.data["emergency"] is False and event.data["late"] is False
    assert event.data["invitees"] == meeting.rsvps.count()


def test_publish_refused_after_the_notice_deadline(torg):
    meeting = confirmed_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=FRI_1800)
    assert err.value.code == "notice_too_late"
    with translation.override("en"):
        text = str(err.value)
    assert "第五条(二)1；第六条" in text and "2026-03-06 17:00" in text
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    assert not Notice.objects.exists() and not Rsvp.objects.exists()
    assert obligations_for(meeting).get(kind=ObligationKind.NOTICE).state == Obligation.State.PENDING


def test_publish_as_emergency_after_the_deadline(torg):
    meeting = confirmed_meeting(torg)
    notice = services.meeting_publish(
        meeting=meeting,
        actor=torg.coordinator,
        now=FRI_1800,
        emergency=True,
        emergency_reason="供应商延期，需紧急协调",
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED
    assert meeting.is_emergency and meeting.emergency_reason == "供应商延期，需紧急协调"
    assert notice.is_emergency
    event = Event.objects.get(name="meeting.published")
    assert event.data["emergency"] is True and event.data["late"] is True
    assert event.data["emergency_reason"] == "供应商延期，需紧急协调"
    # The notice went out late: the ledger says so.
    assert obligations_for(meeting).get(kind=ObligationKind.NOTICE).state == Obligation.State.BREACHED


def test_emergency_needs_a_reason(torg):
    meeting = confirmed_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=FRI_1800, emergency=True)
    assert err.value.code == "emergency_reason_required" and err.value.field == "emergency_reason"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED and not meeting.is_emergency


def test_publish_needs_a_confirmed_agenda(torg):
    meeting = next_meeting(torg)
    make_topic(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "agenda_not_confirmed"
    agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    assert err.value.code == "agenda_not_confirmed"


def test_publish_twice_refused(torg):
    meeting = confirmed_meeting(torg)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    assert err.value.code == "already_published"
    assert Notice.objects.count() == 1


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_coordinator_publishes(torg, who):
    meeting = confirmed_meeting(torg)
    with pytest.raises(Forbidden):
        services.meeting_publish(meeting=meeting, actor=getattr(torg, who), now=THU_1800)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    assert not Rsvp.objects.exists() and not Notice.objects.exists()


def test_invitees(torg):
    meeting = next_meeting(torg)
    make_topic(torg, meeting, dept="tech", involved=("market",))
    agenda = agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    invited = _invitees(meeting)
    assert invited == {
        "coord": Rsvp.InvitedAs.COORDINATOR,  # also head of the office: the more specific reason wins
        "host": Rsvp.InvitedAs.HOST,
        "recorder": Rsvp.InvitedAs.RECORDER,
        "tech_head": Rsvp.InvitedAs.HEAD,
        "market_head": Rsvp.InvitedAs.HEAD,
        "finance_head": Rsvp.InvitedAs.HEAD,
        "tech_liaison": Rsvp.InvitedAs.LIAISON,
        "market_liaison": Rsvp.InvitedAs.LIAISON,
    }
    assert meeting.rsvps.count() == len(invited)  # no duplicates
    # Not invited: the finance liaison (no topic), the deputy, the chair (no leadership), the outsider.
    rsvp = meeting.rsvps.get(invitee=torg.market_liaison)
    assert rsvp.department == torg.departments["market"]


def test_invitees_with_leadership_and_a_delegating_head(torg):
    torg.series.invite_leadership = True
    torg.series.save()
    Delegation.objects.create(
        principal=torg.tech_head, delegate=torg.tech_deputy, starts_on=MEETING.date(), ends_on=MEETING.date()
    )
    meeting = confirmed_meeting(torg)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    invited = _invitees(meeting)
    assert invited["chair"] == Rsvp.InvitedAs.LEADERSHIP
    # The standing delegation covers the meeting's day: the deputy is invited in the head's
    # place, on the head's behalf (desk/tests/test_standing_delegation.py follows it through).
    assert invited["tech_deputy"] == Rsvp.InvitedAs.HEAD
    assert meeting.rsvps.get(invitee=torg.tech_deputy).on_behalf_of == torg.tech_head
    assert "tech_head" not in invited
    assert "outsider" not in invited


def test_rsvp_duties_use_the_absence_notice_lead(torg):
    meeting = confirmed_meeting(torg)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    duties = obligations_for(meeting).filter(kind=ObligationKind.RSVP)
    assert duties.count() == meeting.rsvps.count()
    duty = duties.get(responsible=torg.tech_head)
    assert duty.rule == "absence_notice_lead"
    assert duty.clause == "第五条(三)3"
    assert duty.due_at == sh(2026, 3, 6, 9, 0)  # one working day before, at the meeting's time


def test_rsvp_duty_published_after_the_absence_lead_keeps_a_window_after_the_notice(torg):
    # On time for the notice (Friday 17:00) but after "one working day before" (Friday 09:00):
    # the head still has the policy's least time after the notice, not until the start.
    meeting = confirmed_meeting(torg)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=FRI_1000)
    duty = obligations_for(meeting).get(kind=ObligationKind.RSVP, responsible=torg.tech_head)
    assert duty.due_at == sh(2026, 3, 6, 14, 0)
    assert duty.rule == "absence_notice_after_notice"


def test_rsvp_duty_without_an_absence_rule_is_due_at_the_start(torg):
    policy = policy_install_preset(name="seed02-coordination", now=MON)
    start = sh(2026, 3, 10, 14, 0)
    meeting = services.meeting_schedule(series=None, policy=policy, starts_at=start, now=MON, title="协调会")
    agenda = agenda_build(meeting=meeting, actor=torg.coordinator, now=MON)
    agenda_confirm(agenda=agenda, actor=torg.coordinator, now=MON)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=MON)
    duty = obligations_for(meeting).get(kind=ObligationKind.RSVP, responsible=torg.tech_head)
    assert duty.rule == "notice_lead" and duty.due_at == start
    assert duty.clause == "二、(一)4"


def test_seed02_notice_lead_counts_clock_hours(torg):
    policy = policy_install_preset(name="seed02-coordination", now=MON)
    start = sh(2026, 3, 10, 14, 0)
    meeting = services.meeting_schedule(series=None, policy=policy, starts_at=start, now=MON, title="协调会")
    agenda = agenda_build(meeting=meeting, actor=torg.coordinator, now=MON)
    agenda_confirm(agenda=agenda, actor=torg.coordinator, now=MON)
    with pytest.raises(DomainError) as err:
        services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=sh(2026, 3, 9, 14, 1))
    assert err.value.code == "notice_too_late"
    with translation.override("en"):
        assert "二、(一)4" in str(err.value)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=sh(2026, 3, 9, 14, 0))


def test_emergency_meeting_created_from_the_page_publishes_as_emergency(torg):
    meeting = services.meeting_create_emergency(
        series=torg.series,
        title="紧急协调会",
        starts_at=sh(2026, 3, 6, 15, 0),
        duration_minutes=45,
        location="二楼",
        reason="系统故障",
        actor=torg.coordinator,
        now=sh(2026, 3, 6, 10, 0),
    )
    assert meeting.series is None and meeting.is_emergency
    assert meeting.host == torg.host and meeting.ends_at == sh(2026, 3, 6, 15, 45)
    # The agenda and notice cut-offs had passed already: those duties are waived.
    assert set(obligations_for(meeting).values_list("state", flat=True)) == {Obligation.State.WAIVED}
    agenda = agenda_build(meeting=meeting, actor=torg.coordinator, now=sh(2026, 3, 6, 10, 5))
    closed = agenda_confirm(agenda=agenda, actor=torg.coordinator, now=sh(2026, 3, 6, 10, 5))
    assert closed is None
    notice = services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=sh(2026, 3, 6, 10, 10))
    assert notice.is_emergency


def test_emergency_meeting_refusals(torg):
    kwargs = dict(
        series=torg.series,
        title="紧急",
        starts_at=sh(2026, 3, 6, 15, 0),
        duration_minutes=45,
        location="",
        reason="原因",
        actor=torg.coordinator,
        now=sh(2026, 3, 6, 10, 0),
    )
    for change, field in [
        ({"reason": " "}, "reason"),
        ({"title": ""}, "title"),
        ({"duration_minutes": 91}, "duration_minutes"),
        ({"starts_at": sh(2026, 3, 6, 9, 0)}, "starts_at"),
    ]:
        with pytest.raises(DomainError) as err:
            services.meeting_create_emergency(**{**kwargs, **change})
        assert err.value.field == field
    with pytest.raises(Forbidden):
        services.meeting_create_emergency(**{**kwargs, "actor": torg.tech_head})
    assert not Meeting.objects.exists()


def test_schedule_next_plans_ahead(torg):
    first = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=MON)
    second = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=MON)
    assert first.starts_at == MEETING
    assert second.starts_at == sh(2026, 3, 16, 9, 0)
    with pytest.raises(Forbidden):
        services.meeting_schedule_next(series=torg.series, actor=torg.tech_liaison, now=MON)
    assert Meeting.objects.count() == 2

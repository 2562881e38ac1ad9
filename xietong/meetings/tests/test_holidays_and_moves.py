"""Moving a meeting: the confirm step's warnings (replies reset, inside the notice lead time, a day
off), invitees told old → new time, and series meetings on public holidays (国庆, 春节) offered the
next working day, their cut-offs following the moved meeting. Under both presets."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import translation

from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.desk.testing import build_test_org
from xietong.meetings import services
from xietong.meetings.models import Meeting, MeetingSeries, Rsvp
from xietong.meetings.selectors import meeting_closed_day, open_occurrence
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.notify.models import Delivery, Message
from xietong.notify.services import notify_dispatch
from xietong.notify.topics import render
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.policy.selectors import business_calendar
from xietong.records.services import record_close
from xietong.records.tests.helpers import settle_items

PRESETS = ["seed01-weekly", "seed02-coordination"]
THU_2000 = sh(2026, 3, 5, 20, 0)
NOTICE_CLAUSE = {"seed01-weekly": "第五条(二)1；第六条", "seed02-coordination": "二、(一)4"}

# 国庆 2026: Thursday 1 to Wednesday 7 October are holidays; the Monday 5 October meeting's next
# working day is Thursday 8 October.
SEP_28 = sh(2026, 9, 28, 10, 0)
OCT_5 = sh(2026, 10, 5, 9, 0)
OCT_8 = sh(2026, 10, 8, 9, 0)
# 春节 2026: 15 to 23 February are holidays, Saturday 14 February is a working day (调休).
FEB_9 = sh(2026, 2, 9, 10, 0)
FEB_16 = sh(2026, 2, 16, 9, 0)
FEB_24 = sh(2026, 2, 24, 9, 0)


@pytest.fixture(params=PRESETS)
def preset(request):
    return request.param


@pytest.fixture
def torg(db, preset):
    torg = build_test_org(preset=preset, now=sh(2026, 1, 5, 9, 0))
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)  # seed 02's cap
    torg.series.refresh_from_db()
    return torg


def _pending_due(meeting: Meeting) -> dict[str, object]:
    return {
        o.kind: o.due_at
        for o in obligations_for(meeting).filter(state=Obligation.State.PENDING).order_by("id")
        if o.kind in (ObligationKind.AGENDA, ObligationKind.NOTICE)
    }


# ---- public holidays ----------------------------------------------------------------------


def test_scheduling_a_series_meeting_on_national_day_warns_the_coordinator(torg, preset):
    meeting = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=SEP_28)
    assert meeting.starts_at == OCT_5
    closed = meeting_closed_day(meeting)
    assert closed is not None and closed.suggested == OCT_8
    event = Event.objects.get(name="meeting.scheduled", subject_id=meeting.pk)
    assert event.data["closed_day"] == "2026-10-05" and event.data["holiday"] == "National Day"
    notify_dispatch(now=SEP_28)
    message = Message.objects.get(topic="meeting_on_closed_day")
    assert message.recipient == torg.coordinator
    text = render(message.topic, message.params, language="zh-hans")
    assert "2026-10-05" in text.body and "国庆节" in text.body and "2026-10-08 09:00" in text.body


def test_a_generated_meeting_on_a_holiday_warns_the_coordinator_too(torg):
    # A topic drafted for "the next meeting" generates the 5 October meeting.
    meeting = services.series_open_meeting(series=torg.series, now=SEP_28, actor=torg.tech_liaison)
    assert meeting.starts_at == OCT_5
    notify_dispatch(now=SEP_28)
    assert list(
        Message.objects.filter(topic="meeting_on_closed_day").values_list("recipient", flat=True)
    ) == [torg.coordinator.pk]


def test_a_meeting_moved_off_the_holiday_before_dispatch_warns_nobody(torg):
    meeting = services.series_next_meeting(series=torg.series, now=SEP_28)
    services.meeting_reschedule(
        meeting=meeting, starts_at=OCT_8, location=meeting.location, actor=torg.coordinator, now=SEP_28
    )
    notify_dispatch(now=SEP_28)
    assert not Message.objects.filter(topic="meeting_on_closed_day").exists()


def test_a_working_day_meeting_warns_nobody(torg):
    meeting = services.meeting_schedule_next(
        series=torg.series, actor=torg.coordinator, now=sh(2026, 3, 2, 10)
    )
    assert meeting_closed_day(meeting) is None
    assert "closed_day" not in Event.objects.get(name="meeting.scheduled", subject_id=meeting.pk).data
    notify_dispatch(now=sh(2026, 3, 2, 10))
    assert not Message.objects.filter(topic="meeting_on_closed_day").exists()


def test_the_next_working_day_is_offered_and_the_holiday_is_not_scheduled_again(torg):
    meeting = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=SEP_28)
    # Moving it to another day of the break is warned of too, with the same offer.
    (warning,) = services.meeting_reschedule_check(
        meeting=meeting, starts_at=sh(2026, 10, 6, 9, 0), location="", actor=torg.coordinator, now=SEP_28
    )
    assert warning.code == "closed_day" and warning.suggested == OCT_8
    services.meeting_reschedule(
        meeting=meeting, starts_at=OCT_8, location=meeting.location, actor=torg.coordinator, now=SEP_28
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == OCT_8 and meeting.occurrence == OCT_5
    assert meeting.title == "跨科室周例会（2026-10-08）"
    assert meeting_closed_day(meeting) is None
    # Topics drafted now go to the moved meeting; nothing is generated on the holiday again.
    assert open_occurrence(torg.series, now=SEP_28).meeting == meeting
    assert services.series_open_meeting(series=torg.series, now=SEP_28, actor=torg.tech_liaison) == meeting
    following = services.meeting_schedule_next(series=torg.series, actor=torg.coordinator, now=SEP_28)
    assert following.starts_at == sh(2026, 10, 12, 9, 0)
    assert not Meeting.objects.filter(starts_at=OCT_5).exists()


def test_the_cutoffs_follow_the_meeting_moved_off_the_spring_festival(torg, preset):
    meeting = services.series_next_meeting(series=torg.series, now=FEB_9)
    assert meeting.starts_at == FEB_16
    rules = meeting.policy_version.rules
    calendar = business_calendar()
    before = _pending_due(meeting)
    warnings = services.meeting_reschedule_check(
        meeting=meeting, starts_at=sh(2026, 2, 17, 9, 0), location="", actor=torg.coordinator, now=FEB_9
    )
    assert [w.code for w in warnings] == ["closed_day"]
    assert warnings[0].suggested == FEB_24
    services.meeting_reschedule(
        meeting=meeting, starts_at=warnings[0].suggested, location="", actor=torg.coordinator, now=FEB_9
    )
    meeting.refresh_from_db()
    after = _pending_due(meeting)
    for kind, rule in ((ObligationKind.AGENDA, "agenda_cutoff"), (ObligationKind.NOTICE, "notice_lead")):
        assert after[kind] == rules.deadline(rule, FEB_24, calendar).value
    # The Thursday (and topic) cut-offs are computed from the moved meeting's date.
    for rule in ("topic_window_opens", "topic_window_closes", "head_review_cutoff", "submission_cutoff"):
        if rules.get(rule) is not None:
            assert rules.deadline(rule, meeting.starts_at, calendar) == rules.deadline(rule, FEB_24, calendar)
    if preset == "seed01-weekly":
        # The Thursday before 24 February is a holiday: the cut-offs go to Saturday 14 February (调休).
        assert before == {
            ObligationKind.AGENDA: sh(2026, 2, 12, 17, 0),
            ObligationKind.NOTICE: sh(2026, 2, 13, 17, 0),
        }
        assert after == {
            ObligationKind.AGENDA: sh(2026, 2, 14, 17, 0),
            ObligationKind.NOTICE: sh(2026, 2, 14, 17, 0),
        }
        assert rules.deadline("head_review_cutoff", meeting.starts_at, calendar).value == sh(
            2026, 2, 14, 12, 0
        )
        assert rules.deadline("submission_cutoff", meeting.starts_at, calendar).value == sh(
            2026, 2, 14, 15, 0
        )
    else:
        # 24 hours before: from Sunday 15 to Monday 23 February 09:00.
        assert before[ObligationKind.NOTICE] == sh(2026, 2, 15, 9, 0)
        assert after[ObligationKind.NOTICE] == sh(2026, 2, 23, 9, 0)


# ---- moving a published meeting -----------------------------------------------------------


@pytest.fixture
def org_march(db, preset):
    torg = build_test_org(preset=preset)
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)
    torg.series.refresh_from_db()
    return torg


def test_moving_warns_of_reset_replies_and_the_notice_lead_citing_the_clause(org_march, preset):
    torg = org_march
    meeting = published_meeting(torg)
    rsvp = meeting.rsvps.get(invitee=torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="attend", actor=torg.market_head, now=THU_2000)
    # Friday 15:00 is inside the notice lead time under either regulation.
    friday = sh(2026, 3, 6, 15, 0)
    with translation.override("zh-hans"):
        warnings = services.meeting_reschedule_check(
            meeting=meeting, starts_at=friday, location=meeting.location, actor=torg.coordinator, now=THU_2000
        )
    codes = [w.code for w in warnings]
    assert codes == ["replies_reset", "inside_notice_lead"]
    reset, lead = warnings
    assert f"{meeting.rsvps.count()}" in reset.text and "1" in reset.text
    assert lead.clause == NOTICE_CLAUSE[preset] and NOTICE_CLAUSE[preset] in lead.text
    assert "紧急会议" in lead.text
    # The check writes nothing.
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 0
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.ATTEND
    # A later day outside the lead time only resets the replies.
    later = services.meeting_reschedule_check(
        meeting=meeting, starts_at=sh(2026, 3, 10, 14, 0), location="", actor=torg.coordinator, now=THU_2000
    )
    assert [w.code for w in later] == ["replies_reset"]


def test_confirmed_move_resets_replies_and_tells_every_invitee_old_and_new_time(org_march, preset):
    torg = org_march
    meeting = published_meeting(torg)
    notify_dispatch(now=THU_2000)
    rsvp = meeting.rsvps.get(invitee=torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="absent", reason="出差", actor=torg.market_head, now=THU_2000)
    friday = sh(2026, 3, 6, 15, 0)
    services.meeting_reschedule(
        meeting=meeting, starts_at=friday, location=meeting.location, actor=torg.coordinator, now=THU_2000
    )
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING and rsvp.reason == ""
    event = Event.objects.get(name="meeting.rescheduled")
    assert event.data["moved"] is True and event.data["inside_notice_lead"] is True
    notify_dispatch(now=THU_2000)
    invitees = set(meeting.rsvps.values_list("invitee_id", flat=True))
    moved = Message.objects.filter(topic="meeting_rescheduled")
    assert set(moved.values_list("recipient_id", flat=True)) == invitees
    text = render("meeting_rescheduled", moved.first().params, language="zh-hans")
    assert "2026-03-09 09:00" in text.body and "2026-03-06 15:00" in text.body
    assert "重新回执" in text.body
    # Through the outbox, on the invitees' channels (e-mail at least), like every notice.
    assert Delivery.objects.filter(message__in=moved, person=torg.tech_head).exists()


def test_changing_only_the_place_says_so_without_resetting(org_march):
    torg = org_march
    meeting = published_meeting(torg)
    assert (
        services.meeting_reschedule_check(
            meeting=meeting,
            starts_at=meeting.starts_at,
            location="五楼",
            actor=torg.coordinator,
            now=THU_2000,
        )
        == []
    )
    services.meeting_reschedule(
        meeting=meeting, starts_at=meeting.starts_at, location="五楼", actor=torg.coordinator, now=THU_2000
    )
    notify_dispatch(now=THU_2000)
    assert not Message.objects.filter(topic="meeting_rescheduled").exists()
    changed = Message.objects.filter(topic="meeting_place_changed")
    assert changed.count() == meeting.rsvps.count()
    assert changed.first().params["place"] == "五楼"


# ---- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tech_head", "host", "recorder", "tech_liaison"])
def test_only_the_coordinator_checks_or_moves(org_march, who):
    torg = org_march
    meeting = published_meeting(torg)
    person = getattr(torg, who)
    for call in (services.meeting_reschedule_check, services.meeting_reschedule):
        with pytest.raises(Forbidden):
            call(meeting=meeting, starts_at=sh(2026, 3, 10, 9, 0), location="", actor=person, now=THU_2000)
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 0 and meeting.starts_at == sh(2026, 3, 9, 9, 0)


def test_moving_into_the_past_is_refused(org_march):
    torg = org_march
    meeting = published_meeting(torg)
    for call in (services.meeting_reschedule_check, services.meeting_reschedule):
        with pytest.raises(DomainError) as err:
            call(
                meeting=meeting,
                starts_at=sh(2026, 3, 5, 8, 0),
                location="",
                actor=torg.coordinator,
                now=THU_2000,
            )
        assert (err.value.code, err.value.field) == ("in_past", "starts_at")


def test_a_cancelled_or_started_meeting_cannot_be_moved(org_march):
    torg = org_march
    meeting = published_meeting(torg)
    with pytest.raises(DomainError) as err:
        services.meeting_reschedule_check(
            meeting=meeting,
            starts_at=sh(2026, 3, 20, 9, 0),
            location="",
            actor=torg.coordinator,
            now=sh(2026, 3, 9, 9, 30),
        )
    assert err.value.code == "meeting_started"
    services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
    for call in (services.meeting_reschedule_check, services.meeting_reschedule):
        with pytest.raises(DomainError) as err:
            call(
                meeting=meeting,
                starts_at=sh(2026, 3, 10, 9, 0),
                location="",
                actor=torg.coordinator,
                now=THU_2000,
            )
        assert err.value.code == "meeting_closed"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.starts_at == sh(2026, 3, 9, 9, 0)


def test_a_held_meeting_cannot_be_moved(org_march):
    torg = org_march
    meeting = published_meeting(torg)
    settle_items(torg, meeting, now=sh(2026, 3, 9, 9, 30))
    record_close(meeting=meeting, actor=torg.recorder, now=sh(2026, 3, 9, 10, 0))
    with pytest.raises(DomainError) as err:
        services.meeting_reschedule(
            meeting=meeting,
            starts_at=sh(2026, 3, 20, 9, 0),
            location="",
            actor=torg.coordinator,
            now=sh(2026, 3, 9, 10, 30),
        )
    assert err.value.code == "meeting_closed"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD and meeting.ics_sequence == 0


# ---- the pages ----------------------------------------------------------------------------


def test_the_reschedule_form_asks_to_confirm_then_moves(org_march, login, preset):
    torg = org_march
    meeting = published_meeting(torg)
    client = login(torg.coordinator)
    url = f"/meetings/{meeting.pk}/reschedule/"
    data = {"starts_at": "2026-03-06T15:00", "location": "三楼会议室"}
    with time_machine.travel(THU_2000, tick=False):
        response = client.post(url, data)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="reschedule-confirm"' in page
        assert 'data-warning="replies_reset"' in page and 'data-warning="inside_notice_lead"' in page
        assert NOTICE_CLAUSE[preset] in page
        assert 'name="confirmed" value="1"' in page and 'value="2026-03-06T15:00"' in page
        meeting.refresh_from_db()
        assert meeting.starts_at == sh(2026, 3, 9, 9, 0) and meeting.ics_sequence == 0
        response = client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.starts_at == sh(2026, 3, 6, 15, 0) and meeting.ics_sequence == 1
    assert not meeting.rsvps.exclude(response=Rsvp.Response.PENDING).exists()


def test_the_reschedule_form_refuses_with_field_errors_and_changes_nothing(org_march, login):
    torg = org_march
    meeting = published_meeting(torg)
    client = login(torg.coordinator)
    url = f"/meetings/{meeting.pk}/reschedule/"
    with time_machine.travel(THU_2000, tick=False):
        for confirmed in ("", "1"):
            response = client.post(
                url, {"starts_at": "2026-03-05T08:00", "location": "", "confirmed": confirmed}
            )
            assert response.status_code == 400
            assert 'data-field="starts_at"' in response.content.decode()
        services.meeting_cancel(meeting=meeting, reason="领导出差", actor=torg.coordinator, now=THU_2000)
        response = client.post(url, {"starts_at": "2026-03-10T09:00", "location": ""})
        assert response.status_code == 400
        response = login(torg.tech_head).post(url, {"starts_at": "2026-03-10T09:00", "confirmed": "1"})
        assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.starts_at == sh(2026, 3, 9, 9, 0) and meeting.status == Meeting.Status.CANCELLED


def test_scheduling_on_a_holiday_from_the_page_offers_the_next_working_day(torg, login):
    client = login(torg.coordinator)
    with time_machine.travel(SEP_28, tick=False):
        response = client.post(f"/meetings/series/{torg.series.pk}/next/", follow=True)
        meeting = Meeting.objects.get(series=torg.series, starts_at=OCT_5)
        page = response.content.decode()
        assert 'class="flash warning"' in page and "2026-10-08 09:00" in page
        assert 'id="closed-day"' in page and "国庆节" in page
        assert 'id="use-next-working-day"' in page and 'value="2026-10-08T09:00"' in page
        # The host sees the meeting but may not move it: no offer.
        hosted = login(torg.host).get(f"/meetings/{meeting.pk}/")
        assert hosted.status_code == 200 and 'id="closed-day"' not in hosted.content.decode()
        client = login(torg.coordinator)
        # A planned meeting has no replies to reset and the notice is not late yet: no confirm step.
        response = client.post(
            f"/meetings/{meeting.pk}/reschedule/",
            {"starts_at": "2026-10-08T09:00", "location": meeting.location},
        )
        assert response.status_code == 302
        meeting.refresh_from_db()
        assert meeting.starts_at == OCT_8
        assert 'id="closed-day"' not in client.get(f"/meetings/{meeting.pk}/").content.decode()

"""A standing delegation (谢军 → 邹明 for two weeks) puts the delegate in the principal's place
for the meetings in its period: the invitation, the reply, sign-in, 我的待办, the record and the
minutes' attendee list agree, marked 代 <principal>. Outside the period nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from xietong.core.errors import Forbidden
from xietong.desk.testing import build_test_org
from xietong.live import selectors as live_selectors
from xietong.live import services as live_services
from xietong.meetings import services as meeting_services
from xietong.meetings.models import Rsvp
from xietong.meetings.selectors import meeting_invitee_plan, rsvps_answerable_by
from xietong.meetings.tests.factories import MON, THU_1600, confirmed_meeting, sh
from xietong.minutes.services import minutes_body_from_record
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.notify.topics import render
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.services import delegation_create
from xietong.records.models import Attendance

FRI = sh(2026, 3, 6, 10, 0)
EARLY = sh(2026, 3, 9, 8, 50)
DURING = sh(2026, 3, 9, 9, 40)
MEETING_DAY = date(2026, 3, 9)


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param)


def _delegate(org, *, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 15)):
    """周技术 (tech head) → 郑副职 (tech deputy), two weeks by default."""
    return delegation_create(
        principal=org.tech_head,
        delegate=org.tech_deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        reason="出差",
        actor=org.coordinator,
        now=MON,
    )


def _publish(org):
    meeting = confirmed_meeting(org, topics=1)
    meeting_services.meeting_publish(meeting=meeting, actor=org.coordinator, now=THU_1600)
    meeting.refresh_from_db()
    return meeting


def test_the_plan_invites_the_delegate_in_the_principals_place(org):
    _delegate(org)
    meeting = confirmed_meeting(org, topics=1)
    plan = {inv.person.pk: inv for inv in meeting_invitee_plan(meeting)}
    assert org.tech_head.pk not in plan
    standing = plan[org.tech_deputy.pk]
    assert standing.on_behalf_of == org.tech_head
    assert standing.invited_as == Rsvp.InvitedAs.HEAD
    assert standing.department == org.departments["tech"]
    # Everyone else is invited for themselves.
    assert all(inv.on_behalf_of is None for pk, inv in plan.items() if pk != org.tech_deputy.pk)


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(date(2026, 3, 2), date(2026, 3, 8)), (date(2026, 3, 10), date(2026, 3, 20))],
    ids=["ended-the-day-before", "starts-the-day-after"],
)
def test_outside_the_period_nothing_changes(org, starts_on, ends_on):
    _delegate(org, starts_on=starts_on, ends_on=ends_on)
    meeting = _publish(org)
    assert Rsvp.objects.filter(meeting=meeting, invitee=org.tech_head, on_behalf_of=None).exists()
    assert not Rsvp.objects.filter(meeting=meeting, invitee=org.tech_deputy).exists()
    assert not Rsvp.objects.filter(meeting=meeting, on_behalf_of__isnull=False).exists()


def test_a_named_host_is_not_replaced(org):
    delegation_create(
        principal=org.host,
        delegate=org.outsider,
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 15),
        actor=org.coordinator,
        now=MON,
    )
    meeting = confirmed_meeting(org, topics=1)
    plan = {inv.person.pk: inv for inv in meeting_invitee_plan(meeting)}
    assert plan[org.host.pk].invited_as == Rsvp.InvitedAs.HOST
    assert org.outsider.pk not in plan


def test_the_invitation_and_the_reply_duty_go_to_the_delegate(org, login):
    _delegate(org)
    meeting = _publish(org)
    rsvp = Rsvp.objects.get(meeting=meeting, invitee=org.tech_deputy)
    assert rsvp.on_behalf_of == org.tech_head
    assert not Rsvp.objects.filter(meeting=meeting, invitee=org.tech_head).exists()
    duties = Obligation.objects.filter(kind=ObligationKind.RSVP, subject_id=meeting.pk)
    assert duties.filter(responsible=org.tech_deputy, state=Obligation.State.PENDING).exists()
    assert not duties.filter(responsible=org.tech_head).exists()
    # 我的待办: the delegate has the notice to answer, marked 代 周技术; the principal has none.
    with time_machine.travel(FRI, tick=False):
        home = login(org.tech_deputy).get("/").content.decode()
        notice = login(org.tech_deputy).get(f"/meetings/{meeting.pk}/notice/").content.decode()
        principal_home = login(org.tech_head).get("/").content.decode()
        page = login(org.coordinator).get(f"/meetings/{meeting.pk}/").content.decode()
    assert f"/meetings/{meeting.pk}/notice/" in home
    assert f'data-on-behalf-of="{org.tech_head.pk}">代 周技术<' in home
    assert f'data-on-behalf-of="{org.tech_head.pk}">代 周技术<' in notice
    assert f'id="rsvp-{rsvp.pk}"' in notice
    assert f"/meetings/{meeting.pk}/notice/" not in principal_home.split('id="rsvps"')[-1] or (
        'id="rsvps"' not in principal_home
    )
    assert f'data-on-behalf-of="{org.tech_head.pk}">代 周技术<' in page


def test_the_delegate_replies_and_the_principal_is_not_asked(org):
    _delegate(org)
    meeting = _publish(org)
    rsvp = Rsvp.objects.get(meeting=meeting, invitee=org.tech_deputy)
    assert rsvps_answerable_by(meeting, org.tech_head) == []
    assert [r.pk for r in rsvps_answerable_by(meeting, org.tech_deputy)] == [rsvp.pk]
    meeting_services.rsvp_answer(rsvp=rsvp, response=Rsvp.Response.ATTEND, actor=org.tech_deputy, now=FRI)
    with pytest.raises(Forbidden):
        meeting_services.rsvp_answer(
            rsvp=rsvp, response=Rsvp.Response.ABSENT, reason="不来", actor=org.tech_head, now=FRI
        )
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.ATTEND


def test_the_delegate_signs_in_and_the_principal_is_refused(org, login):
    _delegate(org)
    meeting = _publish(org)
    with pytest.raises(Forbidden) as err:
        live_services.signin_self(meeting=meeting, actor=org.tech_head, now=EARLY)
    assert err.value.code == "not_invited"
    live_services.signin_self(meeting=meeting, actor=org.tech_deputy, now=EARLY)
    attendance = Attendance.objects.get(meeting=meeting)
    assert (attendance.person, attendance.status) == (org.tech_deputy, Attendance.Status.PRESENT)
    # The seat is the delegate's own invitation: it counts among the voters present.
    assert live_services.present_voter_seats(meeting) == {org.tech_deputy.pk}
    # The live room's list of those signed in says for whom the delegate sits.
    signed_in = live_selectors.room_state(meeting, EARLY)["signed_in"]
    assert [(s["person_id"], s["delegate_for"]) for s in signed_in] == [(org.tech_deputy.pk, "周技术")]
    token = live_services.room_for(meeting).signin_token
    with time_machine.travel(EARLY, tick=False):
        page = login(org.tech_deputy).get(f"/live/{meeting.pk}/signin/{token}/").content.decode()
    assert f'data-on-behalf-of="{org.tech_head.pk}">代 周技术<' in page


def test_the_record_and_the_minutes_name_the_delegate_for_the_principal(org, login):
    _delegate(org)
    meeting = _publish(org)
    live_services.signin_self(meeting=meeting, actor=org.tech_deputy, now=EARLY)
    with time_machine.travel(DURING, tick=False):
        page = login(org.recorder).get(f"/records/meeting/{meeting.pk}/").content.decode()
    row = page.split(f'data-person="{org.tech_deputy.pk}"')[1].split("</tr>")[0]
    assert f'data-on-behalf-of="{org.tech_head.pk}">代 周技术<' in row
    assert f'data-person="{org.tech_head.pk}"' not in page
    body = minutes_body_from_record(meeting)
    attendees = next(line for line in body.splitlines() if line.startswith("出席"))
    assert "郑副职（代周技术）" in attendees


def test_the_notice_message_goes_to_the_delegate_and_says_for_whom(org):
    _delegate(org)
    meeting = _publish(org)
    notify_dispatch(now=THU_1600)
    notices = Message.objects.filter(topic="meeting_notice")
    assert set(notices.values_list("recipient_id", flat=True)) == set(
        meeting.rsvps.values_list("invitee_id", flat=True)
    )
    assert not notices.filter(recipient=org.tech_head).exists()
    mine = render("meeting_notice", notices.get(recipient=org.tech_deputy).params, language="zh-hans")
    assert "您代 周技术 参会。" in mine.body
    other = render("meeting_notice", notices.get(recipient=org.market_head).params, language="zh-hans")
    assert "代" not in other.body

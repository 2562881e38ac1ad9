"""A head who cannot attend says so one working day ahead (seed 01 第五条(三)3) — also when the
notice goes out on time on the Friday before a Monday meeting, after that moment has passed: the
deadline is then the later of "one working day before" and the policy's least time after the
notice (本组织补充), never the meeting's start. Whom a head may send is the policy's choice."""

from __future__ import annotations

import pytest

from xietong.core.errors import DomainError
from xietong.desk.testing import build_test_org
from xietong.meetings import services
from xietong.meetings.models import MeetingSeries, Rsvp
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for

pytestmark = pytest.mark.django_db

FRI_1600 = sh(2026, 3, 6, 16, 0)  # on time: the notice is due by Friday 17:00 (第五条(二)1；第六条)
FRI_1900 = sh(2026, 3, 6, 19, 0)
FRI_2000 = sh(2026, 3, 6, 20, 0)  # 16:00 + the policy's 240 minutes
SAT_1000 = sh(2026, 3, 7, 10, 0)
FRI_0900 = sh(2026, 3, 6, 9, 0)  # one working day before Monday 09:00


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def preset(request):
    return request.param


@pytest.fixture
def porg(db, preset):
    torg = build_test_org(preset=preset)
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)  # seed 02's cap
    torg.series.refresh_from_db()
    return torg


def _duty(meeting, person) -> Obligation:
    return obligations_for(meeting).filter(kind=ObligationKind.RSVP, responsible=person).latest("id")


def _absent(torg, meeting, now):
    return services.rsvp_answer(
        rsvp=meeting.rsvps.get(invitee=torg.tech_head),
        response="absent",
        reason="出差",
        actor=torg.tech_head,
        now=now,
    )


def test_a_notice_published_on_time_on_friday_keeps_the_absence_deadline(torg):
    meeting = published_meeting(torg, now=FRI_1600)
    duty = _duty(meeting, torg.tech_head)
    assert duty.due_at == FRI_2000  # not the meeting's start
    assert duty.rule == "absence_notice_after_notice"
    assert duty.clause == "本组织补充（补充第五条(三)3）"

    rsvp = _absent(torg, meeting, SAT_1000)
    assert rsvp.answered_late
    assert _duty(meeting, torg.tech_head).state == Obligation.State.BREACHED


def test_a_friday_notice_answered_within_the_window_is_on_time(torg):
    meeting = published_meeting(torg, now=FRI_1600)
    rsvp = _absent(torg, meeting, FRI_1900)
    assert not rsvp.answered_late
    assert _duty(meeting, torg.tech_head).state == Obligation.State.MET


def test_an_early_notice_keeps_one_working_day(torg):
    meeting = published_meeting(torg, now=THU_1800)
    duty = _duty(meeting, torg.tech_head)
    assert (duty.due_at, duty.rule, duty.clause) == (FRI_0900, "absence_notice_lead", "第五条(三)3")


def test_the_window_never_runs_past_the_start(torg):
    meeting = published_meeting(torg, now=FRI_1600)
    late_notice = sh(2026, 3, 9, 7, 0)  # two hours before the start
    rule, due = services.rsvp_due(meeting, now=late_notice)
    assert (rule, due.value) == ("absence_notice_after_notice", meeting.starts_at)


def _send(torg, meeting, head, delegate):
    return services.rsvp_answer(
        rsvp=meeting.rsvps.get(invitee=head), response="delegate", delegate=delegate, actor=head, now=FRI_1900
    )


@pytest.mark.parametrize("who", ["tech_deputy", "tech_liaison"])
def test_a_head_may_send_the_deputy_or_the_liaison(porg, who):
    meeting = published_meeting(porg, now=THU_1800)
    rsvp = _send(porg, meeting, porg.tech_head, getattr(porg, who))
    assert rsvp.response == Rsvp.Response.DELEGATE


def test_anyone_else_of_the_department_only_where_the_policy_allows_it(porg, preset):
    meeting = published_meeting(porg, now=THU_1800)
    # The outsider is a member of the market department without a role there.
    if preset == "seed01-weekly":
        with pytest.raises(DomainError) as err:
            _send(porg, meeting, porg.market_head, porg.outsider)
        assert (err.value.code, err.value.field) == ("delegate_not_allowed", "delegate")
        assert err.value.params == {"clause": "第五条(三)3"}
        assert "副职或联络员" in porg.policy.versions.latest("number").data["rules"]["delegate_scope"]["note"]
        assert meeting.rsvps.get(invitee=porg.market_head).response == Rsvp.Response.PENDING
    else:
        rsvp = _send(porg, meeting, porg.market_head, porg.outsider)
        assert rsvp.delegate == porg.outsider


def test_nobody_of_another_department(porg):
    meeting = published_meeting(porg, now=THU_1800)
    with pytest.raises(DomainError) as err:
        _send(porg, meeting, porg.tech_head, porg.market_liaison)
    assert err.value.code == "delegate_not_allowed"

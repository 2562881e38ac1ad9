from __future__ import annotations

import pytest
import time_machine

from xietong.core.errors import DomainError, Forbidden
from xietong.meetings import services
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import FRI_1000, MEETING, THU_1800, published_meeting, sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Delegation

THU_2000 = sh(2026, 3, 5, 20, 0)


@pytest.fixture
def meeting(torg):
    return published_meeting(torg)


def _rsvp(meeting, person) -> Rsvp:
    return meeting.rsvps.get(invitee=person)


def _duty(meeting, person) -> Obligation:
    return obligations_for(meeting).filter(kind=ObligationKind.RSVP, responsible=person).latest("id")


def test_attend(torg, meeting):
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.market_head), response="attend", actor=torg.market_head, now=THU_2000
    )
    assert rsvp.response == Rsvp.Response.ATTEND and rsvp.answered_at == THU_2000
    assert not rsvp.answered_late
    assert _duty(meeting, torg.market_head).state == Obligation.State.MET


def test_delegate_to_the_deputy(torg, meeting):
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.tech_head),
        response="delegate",
        delegate=torg.tech_deputy,
        actor=torg.tech_head,
        now=THU_2000,
    )
    assert rsvp.response == Rsvp.Response.DELEGATE and rsvp.delegate == torg.tech_deputy
    assert _duty(meeting, torg.tech_head).state == Obligation.State.MET


def test_absent_with_reason(torg, meeting):
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.finance_head),
        response="absent",
        reason="出差",
        actor=torg.finance_head,
        now=THU_2000,
    )
    assert rsvp.response == Rsvp.Response.ABSENT and rsvp.reason == "出差"


@pytest.mark.parametrize(
    ("response", "delegate", "reason", "code", "field"),
    [
        ("absent", None, "", "reason_required", "reason"),
        ("absent", None, "   ", "reason_required", "reason"),
        ("delegate", None, "", "delegate_required", "delegate"),
        ("delegate", "tech_head", "", "delegate_self", "delegate"),
        ("delegate", "market_liaison", "", "delegate_not_allowed", "delegate"),
        ("maybe", None, "", "response_required", "response"),
    ],
)
def test_refused_answers(torg, meeting, response, delegate, reason, code, field):
    rsvp = _rsvp(meeting, torg.tech_head)
    with pytest.raises(DomainError) as err:
        services.rsvp_answer(
            rsvp=rsvp,
            response=response,
            delegate=getattr(torg, delegate) if delegate else None,
            reason=reason,
            actor=torg.tech_head,
            now=THU_2000,
        )
    assert (err.value.code, err.value.field) == (code, field)
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING
    assert _duty(meeting, torg.tech_head).state == Obligation.State.PENDING


def test_a_head_may_send_the_liaison_or_a_colleague(torg, meeting):
    services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.tech_head),
        response="delegate",
        delegate=torg.tech_liaison,
        actor=torg.tech_head,
        now=THU_2000,
    )
    # A non-head (the host) may send anyone but themselves.
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.host),
        response="delegate",
        delegate=torg.market_liaison,
        actor=torg.host,
        now=THU_2000,
    )
    assert rsvp.delegate == torg.market_liaison


@pytest.mark.parametrize("who", ["market_head", "tech_liaison", "outsider", "coordinator"])
def test_someone_elses_rsvp_is_forbidden(torg, meeting, who):
    rsvp = _rsvp(meeting, torg.tech_head)
    with pytest.raises(Forbidden):
        services.rsvp_answer(rsvp=rsvp, response="attend", actor=getattr(torg, who), now=THU_2000)
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING


def test_a_period_delegate_answers_for_the_head(torg, meeting):
    Delegation.objects.create(
        principal=torg.tech_head, delegate=torg.tech_deputy, starts_on=MEETING.date(), ends_on=MEETING.date()
    )
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.tech_head),
        response="delegate",
        delegate=torg.tech_deputy,
        actor=torg.tech_deputy,
        now=THU_2000,
    )
    assert rsvp.delegate == torg.tech_deputy
    assert _duty(meeting, torg.tech_head).closed_by == torg.tech_deputy


def test_answers_may_change_until_the_start(torg, meeting):
    rsvp = _rsvp(meeting, torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="absent", reason="出差", actor=torg.market_head, now=THU_2000)
    rsvp = services.rsvp_answer(
        rsvp=rsvp, response="attend", actor=torg.market_head, now=sh(2026, 3, 9, 8, 59)
    )
    assert rsvp.response == Rsvp.Response.ATTEND and rsvp.reason == ""
    assert not rsvp.answered_late
    with pytest.raises(DomainError) as err:
        services.rsvp_answer(
            rsvp=rsvp, response="absent", reason="临时有事", actor=torg.market_head, now=MEETING
        )
    assert err.value.code == "meeting_started"
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.ATTEND


def test_late_answer_is_accepted_and_marked_from_the_ledger(torg, meeting):
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.finance_head),
        response="absent",
        reason="病假",
        actor=torg.finance_head,
        now=FRI_1000,
    )
    assert rsvp.response == Rsvp.Response.ABSENT
    assert rsvp.answered_late
    duty = _duty(meeting, torg.finance_head)
    assert duty.state == Obligation.State.BREACHED and duty.clause == "第五条(三)3"


def test_switching_to_absent_after_the_deadline_is_a_late_notice(torg, meeting):
    rsvp = _rsvp(meeting, torg.market_head)
    services.rsvp_answer(rsvp=rsvp, response="attend", actor=torg.market_head, now=THU_2000)
    rsvp = services.rsvp_answer(
        rsvp=rsvp, response="absent", reason="临时出差", actor=torg.market_head, now=FRI_1000
    )
    assert rsvp.answered_late
    states = list(
        obligations_for(meeting)
        .filter(kind=ObligationKind.RSVP, responsible=torg.market_head)
        .order_by("id")
        .values_list("state", flat=True)
    )
    assert states == [Obligation.State.MET, Obligation.State.BREACHED]


def test_rsvp_page_shows_the_late_mark_with_the_clause(torg, meeting, login):
    services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.finance_head),
        response="absent",
        reason="病假",
        actor=torg.finance_head,
        now=FRI_1000,
    )
    client = login(torg.finance_head)
    client.cookies["django_language"] = "en"
    with time_machine.travel(sh(2026, 3, 6, 11, 0), tick=False):
        page = client.get(f"/meetings/{meeting.pk}/notice/").content.decode()
    assert "Answered after the deadline (第五条(三)3)" in page
    with time_machine.travel(sh(2026, 3, 6, 11, 0), tick=False):
        page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Late (第五条(三)3)" in page


def test_rsvp_view_answers_and_refuses(torg, meeting, login):
    rsvp = _rsvp(meeting, torg.tech_head)
    client = login(torg.tech_head)
    client.cookies["django_language"] = "en"
    with time_machine.travel(THU_2000, tick=False):
        page = client.get(f"/meetings/{meeting.pk}/notice/")
        assert page.status_code == 200
        body = page.content.decode()
        assert f'name="r{rsvp.pk}-delegate"' in body
        assert "If you cannot attend, say so by 2026-03-06 09:00 (第五条(三)3)" in body
        # the picker offers the department's people, not other departments'
        assert f'value="{torg.tech_deputy.pk}"' in body
        assert f'value="{torg.market_liaison.pk}"' not in body

        bad = client.post(f"/meetings/rsvp/{rsvp.pk}/", {f"r{rsvp.pk}-response": "absent"})
        assert bad.status_code == 400
        assert 'data-field="reason"' in bad.content.decode()
        other = client.post(
            f"/meetings/rsvp/{rsvp.pk}/",
            {f"r{rsvp.pk}-response": "delegate", f"r{rsvp.pk}-delegate": torg.market_liaison.pk},
        )
        assert other.status_code == 400
        assert 'data-field="delegate"' in other.content.decode()
        rsvp.refresh_from_db()
        assert rsvp.response == Rsvp.Response.PENDING

        ok = client.post(
            f"/meetings/rsvp/{rsvp.pk}/",
            {f"r{rsvp.pk}-response": "delegate", f"r{rsvp.pk}-delegate": torg.tech_deputy.pk},
        )
        assert ok.status_code == 302
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.DELEGATE and rsvp.delegate == torg.tech_deputy


@pytest.mark.parametrize("who", ["market_head", "outsider", "coordinator"])
def test_rsvp_view_forbids_others(torg, meeting, login, who):
    rsvp = _rsvp(meeting, torg.tech_head)
    client = login(getattr(torg, who))
    with time_machine.travel(THU_2000, tick=False):
        response = client.post(f"/meetings/rsvp/{rsvp.pk}/", {f"r{rsvp.pk}-response": "attend"})
    assert response.status_code == 403
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING


def test_rsvp_view_after_start(torg, meeting, login):
    rsvp = _rsvp(meeting, torg.tech_head)
    client = login(torg.tech_head)
    with time_machine.travel(sh(2026, 3, 9, 9, 5), tick=False):
        response = client.post(f"/meetings/rsvp/{rsvp.pk}/", {f"r{rsvp.pk}-response": "attend"})
    assert response.status_code == 400
    rsvp.refresh_from_db()
    assert rsvp.response == Rsvp.Response.PENDING


def test_rsvp_get_is_not_allowed(torg, meeting, login):
    rsvp = _rsvp(meeting, torg.tech_head)
    assert login(torg.tech_head).get(f"/meetings/rsvp/{rsvp.pk}/").status_code == 405


def test_published_before_thursday_evening_is_answered_on_time(torg):
    meeting = published_meeting(torg, now=THU_1800)
    rsvp = services.rsvp_answer(
        rsvp=_rsvp(meeting, torg.tech_head), response="attend", actor=torg.tech_head, now=sh(2026, 3, 6, 9, 0)
    )
    assert not rsvp.answered_late  # exactly at the deadline is on time

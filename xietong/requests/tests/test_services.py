"""Each step of a request's life, each refusal, and the response duty in the ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from xietong.core.errors import DomainError
from xietong.core.events import events_for
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI
from xietong.requests import services
from xietong.requests.models import CollaborationRequest, RequestType

from .conftest import MON, TUE, WED, file, working_clock

pytestmark = pytest.mark.django_db
RS = CollaborationRequest.Status


def duty(request):
    return Obligation.objects.get(kind=ObligationKind.REQUEST_RESPONSE, subject_id=request.pk)


def accepted(torg, request, *, now=TUE):
    return services.request_accept(
        request=request, actor=torg.tech_liaison, now=now, committed_by=date(2026, 3, 6)
    )


# ---- the response duty ----------------------------------------------------------------------


def test_submit_opens_the_receiving_departments_response_duty_under_its_clause(torg, tech_support):
    request = file(torg, tech_support)
    assert request.status == RS.SUBMITTED
    assert request.from_department == torg.departments["market"]
    ob = duty(request)
    assert ob.state == Obligation.State.PENDING
    assert ob.department == torg.departments["tech"]
    assert ob.responsible is None
    assert ob.rule == "request_response"
    assert ob.clause == "四、2"
    # 24 hours in clock hours (the preset's 1440 minutes).
    assert ob.due_at == MON + timedelta(hours=24)
    assert ob.warn_at == MON + timedelta(hours=20)


def test_an_answer_in_time_meets_the_duty(torg, tech_support):
    request = file(torg, tech_support)
    accepted(torg, request, now=MON + timedelta(hours=23))
    ob = duty(request)
    assert ob.state == Obligation.State.MET
    assert ob.closed_by == torg.tech_liaison


def test_an_unanswered_request_is_breached_by_the_tick_and_a_late_answer_stays_breached(torg, tech_support):
    request = file(torg, tech_support)
    ledger_tick(now=MON + timedelta(hours=23, minutes=59))
    assert duty(request).state == Obligation.State.PENDING
    ledger_tick(now=MON + timedelta(hours=24, minutes=1))
    assert duty(request).state == Obligation.State.BREACHED
    request = services.request_refuse(
        request=request, actor=torg.tech_head, now=WED, category="no_resources", reason="本周人手不足"
    )
    ob = duty(request)
    assert ob.state == Obligation.State.BREACHED
    assert ob.closed_at == WED
    last = request_events(request)[-1]
    assert last.data["late"] is True and last.data["clause"] == "四、2"


def request_events(request):
    return list(events_for(request).order_by("id"))


def test_working_hours_clock_skips_the_weekend(torg, scheme):
    working_clock(scheme, actor=torg.coordinator, now=MON)
    kind = services.request_type_create(
        actor=torg.coordinator, now=MON, key="data", name="数据提取", policy=scheme
    )
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=SHANGHAI)
    request = file(torg, kind, now=friday, expected_by=date(2026, 3, 13))
    # 24 working hours (09:00–17:30): Fri 1.5 h, Mon 8.5 h, Tue 8.5 h, Wed 5.5 h → Wed 14:30.
    assert duty(request).due_at == datetime(2026, 3, 11, 14, 30, tzinfo=SHANGHAI)


def test_working_hours_clock_across_spring_festival_and_its_working_saturday(torg, scheme):
    working_clock(scheme, actor=torg.coordinator, now=MON)
    kind = services.request_type_create(
        actor=torg.coordinator, now=MON, key="data", name="数据提取", policy=scheme
    )
    before = datetime(2026, 2, 13, 16, 0, tzinfo=SHANGHAI)
    due = services.response_due(kind.policy.versions.order_by("-number").first(), before).value
    # Fri 13 Feb 1.5 h, Sat 14 Feb (调休 working day) 8.5 h, 15–23 Feb off, Tue 24 Feb 8.5 h,
    # Wed 25 Feb 5.5 h → 14:30.
    assert due == datetime(2026, 2, 25, 14, 30, tzinfo=SHANGHAI)


def test_withdraw_waives_the_duty(torg, tech_support):
    request = file(torg, tech_support)
    services.request_withdraw(request=request, actor=torg.market_liaison, now=TUE)
    request.refresh_from_db()
    assert request.status == RS.WITHDRAWN
    assert duty(request).state == Obligation.State.WAIVED


# ---- the whole life ---------------------------------------------------------------------------


def test_accept_deliver_confirm(torg, tech_support):
    request = file(torg, tech_support)
    request = accepted(torg, request)
    assert request.status == RS.ACCEPTED and request.committed_by == date(2026, 3, 6)
    request = services.request_deliver(
        request=request, actor=torg.tech_head, now=WED, note="已导出，见共享盘"
    )
    assert request.status == RS.DELIVERED
    request = services.request_confirm(
        request=request, actor=torg.market_liaison, now=WED, rating=5, comment="很及时"
    )
    assert request.status == RS.CLOSED and request.rating == 5 and request.closed_at == WED
    assert [e.name for e in request_events(request)] == [
        "request.submitted",
        "request.accepted",
        "request.delivered",
        "request.confirmed",
    ]


def test_reopen_sends_the_work_back_in_progress(torg, tech_support):
    request = accepted(torg, file(torg, tech_support))
    request = services.request_deliver(request=request, actor=torg.tech_liaison, now=WED, note="已导出")
    request = services.request_reopen(
        request=request, actor=torg.market_liaison, now=WED, reason="缺少联系电话"
    )
    assert request.status == RS.ACCEPTED
    with pytest.raises(DomainError) as err:
        services.request_reopen(request=request, actor=torg.market_liaison, now=WED, reason="再次")
    assert err.value.code == "wrong_state"


def test_refusal_needs_a_category_and_a_reason(torg, tech_support):
    request = file(torg, tech_support)
    with pytest.raises(DomainError) as err:
        services.request_refuse(
            request=request, actor=torg.tech_head, now=TUE, category="no_resources", reason="  "
        )
    assert (err.value.code, err.value.field) == ("missing_reason", "reason")
    with pytest.raises(DomainError) as err:
        services.request_refuse(request=request, actor=torg.tech_head, now=TUE, category="", reason="不做")
    assert err.value.code == "missing_category"
    request.refresh_from_db()
    assert request.status == RS.SUBMITTED
    assert duty(request).state == Obligation.State.PENDING


def test_accept_refusals(torg, tech_support):
    request = file(torg, tech_support)
    with pytest.raises(DomainError) as err:
        services.request_accept(
            request=request, actor=torg.tech_liaison, now=TUE, committed_by=date(2026, 3, 2)
        )
    assert (err.value.code, err.value.field) == ("past_committed_by", "committed_by")
    with pytest.raises(DomainError) as err:
        services.request_accept(
            request=request, actor=torg.tech_liaison, now=TUE, committed_by=date(2026, 3, 20)
        )
    assert (err.value.code, err.value.field) == ("missing_note", "note")
    later = services.request_accept(
        request=request, actor=torg.tech_liaison, now=TUE, committed_by=date(2026, 3, 20), note="需排期"
    )
    assert later.committed_by == date(2026, 3, 20) and later.response_note == "需排期"


@pytest.mark.parametrize("who", ["market_head", "finance_liaison", "outsider", "coordinator"])
def test_only_the_receiving_department_answers(torg, tech_support, who):
    request = file(torg, tech_support)
    with pytest.raises(PermissionDenied):
        accepted_by = getattr(torg, who)
        services.request_accept(request=request, actor=accepted_by, now=TUE, committed_by=date(2026, 3, 6))
    request.refresh_from_db()
    assert request.status == RS.SUBMITTED


def test_only_the_requester_confirms(torg, tech_support):
    request = accepted(torg, file(torg, tech_support))
    request = services.request_deliver(request=request, actor=torg.tech_liaison, now=WED, note="已导出")
    for who in (torg.market_head, torg.tech_liaison):
        with pytest.raises(PermissionDenied):
            services.request_confirm(request=request, actor=who, now=WED, rating=4)
    with pytest.raises(DomainError) as err:
        services.request_confirm(request=request, actor=torg.market_liaison, now=WED, rating=6)
    assert err.value.code == "bad_rating"


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("accept", {"committed_by": date(2026, 3, 6)}),
        ("refuse", {"category": "other", "reason": "不需要"}),
        ("deliver", {"note": "已完成"}),
    ],
)
def test_a_refused_request_takes_no_further_step(torg, tech_support, action, kwargs):
    request = services.request_refuse(
        request=file(torg, tech_support),
        actor=torg.tech_head,
        now=TUE,
        category="not_our_duty",
        reason="不属于本部门",
    )
    with pytest.raises(DomainError) as err:
        getattr(services, f"request_{action}")(request=request, actor=torg.tech_liaison, now=WED, **kwargs)
    assert err.value.code == "wrong_state"


def test_deliver_before_accept_is_refused(torg, tech_support):
    request = file(torg, tech_support)
    with pytest.raises(DomainError) as err:
        services.request_deliver(request=request, actor=torg.tech_liaison, now=TUE, note="完成")
    assert err.value.code == "wrong_state"
    with pytest.raises(DomainError) as err:
        services.request_confirm(request=request, actor=torg.market_liaison, now=TUE, rating=5)
    assert err.value.code == "wrong_state"


# ---- filing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"title": " "}, "missing_title", "title"),
        ({"content": ""}, "missing_content", "content"),
        ({"to_department": None}, "missing_to_department", "to_department"),
        ({"expected_by": date(2026, 3, 1)}, "past_expected_by", "expected_by"),
        ({"to_department": "own"}, "own_department", "to_department"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_saved(torg, tech_support, change, code, field):
    data = {
        "request_type": tech_support,
        "to_department": torg.departments["tech"],
        "title": "导出客户数据",
        "content": "请导出",
        "expected_by": date(2026, 3, 6),
    }
    data.update(change)
    if data["to_department"] == "own":
        data["to_department"] = torg.departments["market"]
    with pytest.raises(DomainError) as err:
        services.request_submit(actor=torg.market_liaison, now=MON, **data)
    assert (err.value.code, err.value.field) == (code, field)
    assert not CollaborationRequest.objects.exists()
    assert not Obligation.objects.filter(kind=ObligationKind.REQUEST_RESPONSE).exists()


def test_only_the_coordinator_defines_types_under_a_regulation_with_a_response_time(torg, scheme):
    with pytest.raises(PermissionDenied):
        services.request_type_create(actor=torg.market_head, now=MON, key="x", name="借调", policy=scheme)
    with pytest.raises(DomainError) as err:
        services.request_type_create(
            actor=torg.coordinator, now=MON, key="x", name="借调", policy=torg.policy
        )
    assert err.value.code == "no_response_rule"
    assert not RequestType.objects.exists()


# ---- notifications ------------------------------------------------------------------------------


def inbox(person):
    return list(Message.objects.filter(recipient=person).order_by("id").values_list("topic", flat=True))


def test_the_receiving_department_hears_of_the_request_and_the_requester_of_the_answer(torg, tech_support):
    request = accepted(torg, file(torg, tech_support))
    services.request_deliver(request=request, actor=torg.tech_liaison, now=WED, note="已导出")
    notify_dispatch(now=WED)
    for receiver in (torg.tech_head, torg.tech_liaison, torg.tech_deputy):
        assert inbox(receiver)[:1] == ["request_received"]
    assert inbox(torg.market_liaison) == ["request_accepted", "request_delivered"]
    assert inbox(torg.finance_head) == []


# ---- reassignment -------------------------------------------------------------------------------


def test_reassignment_hands_the_duty_on_with_the_same_deadline(torg, tech_support):
    request = file(torg, tech_support)
    request = services.request_reassign(
        request=request,
        actor=torg.tech_liaison,
        now=MON + timedelta(hours=2),
        to_department=torg.departments["finance"],
        reason="属于财务数据",
    )
    assert request.to_department == torg.departments["finance"] and request.status == RS.SUBMITTED
    duties = Obligation.objects.filter(kind=ObligationKind.REQUEST_RESPONSE, subject_id=request.pk)
    old = duties.get(department=torg.departments["tech"])
    new = duties.get(department=torg.departments["finance"])
    assert (old.state, old.note) == (Obligation.State.WAIVED, "reassigned")
    assert new.state == Obligation.State.PENDING and new.due_at == MON + timedelta(hours=24)
    # The old department no longer answers; the new one does.
    with pytest.raises(PermissionDenied):
        accepted(torg, request)
    services.request_accept(
        request=request, actor=torg.finance_liaison, now=TUE, committed_by=date(2026, 3, 6)
    )
    new.refresh_from_db()
    assert new.state == Obligation.State.MET


def test_a_late_reassignment_stays_breached_on_the_first_departments_record(torg, tech_support):
    request = file(torg, tech_support)
    ledger_tick(now=WED)
    services.request_reassign(
        request=request,
        actor=torg.tech_head,
        now=WED,
        to_department=torg.departments["finance"],
        reason="转财务",
    )
    old = Obligation.objects.get(kind=ObligationKind.REQUEST_RESPONSE, department=torg.departments["tech"])
    assert old.state == Obligation.State.BREACHED and old.closed_at == WED


@pytest.mark.parametrize(
    ("to", "reason", "code"),
    [
        ("finance", "", "missing_reason"),
        ("tech", "转", "same_department"),
        ("market", "转", "same_department"),
    ],
)
def test_reassignment_refusals(torg, tech_support, to, reason, code):
    request = file(torg, tech_support)
    with pytest.raises(DomainError) as err:
        services.request_reassign(
            request=request,
            actor=torg.tech_liaison,
            now=TUE,
            to_department=torg.departments[to],
            reason=reason,
        )
    assert err.value.code == code
    request.refresh_from_db()
    assert request.to_department == torg.departments["tech"]
    assert duty(request).state == Obligation.State.PENDING


def test_the_new_department_hears_of_a_reassigned_request(torg, tech_support):
    request = file(torg, tech_support)
    services.request_reassign(
        request=request,
        actor=torg.tech_liaison,
        now=TUE,
        to_department=torg.departments["finance"],
        reason="转财务",
    )
    notify_dispatch(now=TUE)
    assert inbox(torg.finance_liaison) == ["request_received"]
    assert inbox(torg.finance_head) == ["request_received"]


# ---- the committed date -------------------------------------------------------------------------


def delivery(request):
    return Obligation.objects.filter(kind=ObligationKind.REQUEST_DELIVERY, subject_id=request.pk).order_by(
        "id"
    )


def test_accepting_opens_the_delivery_duty_due_at_the_end_of_the_committed_day(torg, tech_support):
    request = accepted(torg, file(torg, tech_support))
    (ob,) = delivery(request)
    assert ob.department == torg.departments["tech"] and ob.clause == "四、2"
    assert ob.due_at == datetime(2026, 3, 6, 17, 30, tzinfo=SHANGHAI)
    services.request_deliver(request=request, actor=torg.tech_liaison, now=WED, note="已导出")
    ob.refresh_from_db()
    assert ob.state == Obligation.State.MET


def test_a_delivery_after_the_committed_day_is_late_and_a_reopen_owes_it_again(torg, tech_support):
    request = accepted(torg, file(torg, tech_support))
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    request = services.request_deliver(request=request, actor=torg.tech_liaison, now=monday, note="已导出")
    services.request_reopen(request=request, actor=torg.market_liaison, now=monday, reason="缺少电话")
    first, again = delivery(request)
    assert first.state == Obligation.State.BREACHED and first.closed_at == monday
    assert again.state == Obligation.State.PENDING and again.due_at == first.due_at

"""Emergency decisions (紧急决策, seed 03 四、(一)): the director's temporary group, acting at once,
ratification after the fact through a template's normal route."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from xietong.approvals import emergency, services
from xietong.approvals.models import Approval, EmergencyDecision
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.policy.rules import load_preset

from .conftest import MON, TUE, WED

pytestmark = pytest.mark.django_db


def decide(torg, template, *, actor=None, now=MON, **overrides):
    kwargs = {
        "matter": "机房空调故障，紧急采购备用空调",
        "decision": "立即采购两台备用空调，先行安装",
        "reason": "机房温度已超过安全线，等不及正常审批",
        "group": [torg.tech_head, torg.finance_head],
        "consulted": [torg.finance_head],
        "consultation": "财务部同意先行垫付",
        "executed": True,
        "amount": "80000",
        "values": {"purpose": "机房备用空调"},
    }
    kwargs.update(overrides)
    return emergency.emergency_decide(template=template, actor=actor or torg.chair, now=now, **kwargs)


def counts():
    return EmergencyDecision.objects.count(), Approval.objects.count()


def test_the_seed03_preset_names_the_director_citing_its_clause():
    rule = load_preset("seed03-activity").get("emergency_lead")
    assert rule is not None and rule.value == "leadership" and rule.clause == "四、(一)"
    assert load_preset("seed01-weekly").get("emergency_lead") is None


def test_director_records_decision_acts_at_once_and_files_ratification(torg, purchase):
    decision = decide(torg, purchase)
    assert decision.director == torg.chair and decision.executed_at == MON
    assert set(decision.group.all()) == {torg.tech_head, torg.finance_head}
    assert list(decision.consulted.all()) == [torg.finance_head]
    approval = decision.approval
    assert approval.status == Approval.Status.PENDING and approval.applicant == torg.chair
    assert approval.title == "机房空调故障，紧急采购备用空调" and approval.values == {
        "purpose": "机房备用空调"
    }
    # The normal route for ¥80,000: head → finance → CEO.
    assert [s["key"] for s in approval.route] == ["head", "finance", "ceo"]
    assert [e.name for e in events_for(decision)] == ["emergency_decision.recorded"]
    assert emergency.awaiting_ratification(torg.chair) == [decision]
    assert emergency.awaiting_ratification(torg.coordinator) == [decision]


def test_ratification_through_the_route_ends_the_wait(torg, purchase):
    decision = decide(torg, purchase)
    approval = decision.approval
    services.approval_approve(approval=approval, actor=torg.coordinator, now=TUE)  # office head
    services.approval_approve(approval=approval, actor=torg.finance_head, now=TUE)
    assert emergency.awaiting_ratification(torg.chair) == [decision]
    services.approval_approve(approval=approval, actor=torg.chair, now=WED)
    approval.refresh_from_db()
    assert approval.status == Approval.Status.APPROVED
    assert emergency.awaiting_ratification(torg.chair) == []


def test_returned_ratification_still_awaits(torg, purchase):
    decision = decide(torg, purchase)
    services.approval_return(approval=decision.approval, actor=torg.coordinator, now=TUE, comment="补充报价")
    assert emergency.awaiting_ratification(torg.chair) == [decision]


def test_not_executed_at_once_then_carried_out_by_the_director_only(torg, purchase):
    decision = decide(torg, purchase, executed=False)
    assert decision.executed_at is None
    with pytest.raises(Forbidden):
        emergency.emergency_execute(emergency=decision, actor=torg.tech_head, now=TUE)
    done = emergency.emergency_execute(emergency=decision, actor=torg.chair, now=TUE)
    assert done.executed_at == TUE
    with pytest.raises(DomainError) as err:
        emergency.emergency_execute(emergency=done, actor=torg.chair, now=WED)
    assert err.value.code == "already_executed"


@pytest.mark.parametrize("persona", ["tech_head", "coordinator", "tech_liaison"])
def test_only_the_director_may_record(torg, purchase, persona):
    with pytest.raises(Forbidden):
        decide(torg, purchase, actor=getattr(torg, persona))
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"group": []}, "group_empty", "group"),
        ({"group": "chair"}, "group_empty", "group"),  # the director alone is no group
        ({"reason": "  "}, "reason_required", "reason"),
        ({"decision": ""}, "decision_required", "decision"),
        ({"matter": ""}, "matter_required", "matter"),
        ({"amount": "-5"}, "amount_negative", "amount"),
    ],
)
def test_refusals_save_nothing(torg, purchase, overrides, code, field):
    if overrides.get("group") == "chair":
        overrides = {"group": [torg.chair]}
    with pytest.raises(DomainError) as err:
        decide(torg, purchase, **overrides)
    assert (err.value.code, err.value.field) == (code, field)
    assert counts() == (0, 0)


def test_inactive_group_member_is_refused(torg, purchase):
    torg.market_head.is_active = False
    torg.market_head.save()
    with pytest.raises(DomainError) as err:
        decide(torg, purchase, group=[torg.market_head])
    assert err.value.code == "group_invalid"


def test_a_regulation_without_the_rule_has_no_emergency_procedure(torg):
    template = services.template_create(
        actor=torg.coordinator,
        now=MON,
        key="weekly-purchase",
        name="周会采购",
        policy=torg.policy,  # seed 01: no emergency_lead
        text='[[fields]]\nname = "purpose"\nlabel = "用途"\n\n[[steps]]\nkey = "head"\nname = "负责人"\n'
        'approver = "applicant_head"\n',
    )
    with pytest.raises(DomainError) as err:
        decide(torg, template, amount=None)
    assert err.value.code == "no_emergency_rule"
    assert emergency.director_templates(torg.chair) == []


def test_who_sees_an_emergency_decision(torg, purchase):
    decision = decide(torg, purchase)
    for persona in ("chair", "coordinator", "tech_head", "finance_head"):
        assert emergency.get_emergency_for_user(getattr(torg, persona), decision.pk) == decision
    with pytest.raises(Http404):
        emergency.get_emergency_for_user(torg.outsider, decision.pk)


# ---- pages ----------------------------------------------------------------------------------


def _form(torg, **overrides):
    data = {
        "matter": "机房空调故障",
        "reason": "温度超标",
        "group": [str(torg.tech_head.pk)],
        "consulted": [str(torg.finance_head.pk)],
        "consultation": "同意",
        "decision": "立即采购",
        "executed": "on",
        "amount": "3000",
        "purpose": "备用空调",
    }
    data.update(overrides)
    return data


def test_director_records_through_the_page(torg, purchase, login):
    client = login(torg.chair)
    page = client.get(reverse("approvals:emergencies"))
    assert page.status_code == 200
    assert reverse("approvals:emergency_new", args=[purchase.pk]) in page.content.decode()
    response = client.post(reverse("approvals:emergency_new", args=[purchase.pk]), _form(torg))
    decision = EmergencyDecision.objects.get()
    assert response.status_code == 302 and response["Location"] == decision.get_absolute_url()
    assert decision.executed_at is not None and decision.approval.amount == 3000
    detail = client.get(decision.get_absolute_url()).content.decode()
    assert "立即采购" in detail and "周技术" in detail
    listing = client.get(reverse("approvals:emergencies")).content.decode()
    assert f'data-emergency="{decision.pk}"' in listing


def test_page_refusals(torg, purchase, login):
    client = login(torg.chair)
    url = reverse("approvals:emergency_new", args=[purchase.pk])
    response = client.post(url, _form(torg, reason=""))
    assert response.status_code == 400 and "说明为何不能等待正常流程" in response.content.decode()
    response = client.post(url, _form(torg, group=[]))
    assert response.status_code == 400 and "临时小组" in response.content.decode()
    assert counts() == (0, 0)
    assert login(torg.tech_head).get(url).status_code == 403
    assert login(torg.tech_head).post(url, _form(torg)).status_code == 403
    assert counts() == (0, 0)


def test_outsider_gets_404_on_a_decision(torg, purchase, login):
    decision = decide(torg, purchase)
    assert login(torg.outsider).get(decision.get_absolute_url()).status_code == 404
    assert (
        login(torg.outsider).post(reverse("approvals:emergency_execute", args=[decision.pk])).status_code
        == 404
    )


def test_leadership_list_query_count_is_pinned(torg, purchase, login, django_assert_num_queries):
    for n in range(3):
        decide(torg, purchase, matter=f"紧急事项{n}")
    client = login(torg.chair)
    url = reverse("approvals:emergencies")
    client.get(url)
    with django_assert_num_queries(QUERIES) as ctx:
        response = client.get(url)
    assert response.content.decode().count("data-emergency=") == 3, ctx
    for n in range(3, 6):
        decide(torg, purchase, matter=f"紧急事项{n}")
    with django_assert_num_queries(QUERIES):
        response = client.get(url)
    assert response.content.decode().count("data-emergency=") == 6


QUERIES = 6


def test_leadership_page_links_the_list_awaiting_ratification(torg, purchase, login):
    html = login(torg.chair).get(reverse("obligations:leadership")).content.decode()
    assert reverse("approvals:emergencies") in html and reverse("approvals:figures") in html


def test_list_shows_only_what_the_viewer_may_see(torg, purchase, login):
    decision = decide(torg, purchase)
    assert (
        f'data-emergency="{decision.pk}"'
        in login(torg.tech_head).get(reverse("approvals:emergencies")).content.decode()
    )
    html = login(torg.outsider).get(reverse("approvals:emergencies")).content.decode()
    assert 'data-emergency="' not in html and "emergency-new" not in html

"""The approval engine: routing by amount, 会签 / 或签, return, transfer, delegation, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from xietong.approvals import services
from xietong.approvals.bundled import bundled_template
from xietong.approvals.models import Approval, Task
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.desk.testing import make_person
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Delegation, Role

from .conftest import CEO, FINANCE, MON, TUE, WED, file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def route_keys(approval):
    return [s["key"] for s in approval.route]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (FINANCE - 1, ["head"]),
        (FINANCE, ["head", "finance"]),
        (FINANCE + 1, ["head", "finance"]),
        (CEO - 1, ["head", "finance"]),
        (CEO, ["head", "finance", "ceo"]),
        (CEO + 1, ["head", "finance", "ceo"]),
        ("9999.99", ["head"]),
        ("50000.01", ["head", "finance", "ceo"]),
    ],
)
def test_route_by_amount_at_below_and_above_each_threshold(torg, purchase, amount, expected):
    assert route_keys(file(torg, purchase, amount)) == expected


def test_thresholds_come_from_the_policy_version_in_force(torg, purchase, activity):
    from xietong.approvals.bundled import fill_thresholds

    fill_thresholds(activity, actor=torg.coordinator, now=TUE, finance=100_000, ceo=500_000)
    assert route_keys(file(torg, purchase, 80_000, now=TUE)) == ["head"]


def test_the_whole_chain_head_finance_ceo(torg, purchase):
    approval = file(torg, purchase, 80_000)
    assert [t.approver for t in approval.tasks.all()] == [torg.tech_head]
    approval = services.approval_approve(approval=approval, actor=torg.tech_head, now=MON, comment="同意")
    assert approval.current_step_name == "财务部审核"
    approval = services.approval_approve(approval=approval, actor=torg.finance_head, now=TUE)
    assert approval.current_step_name == "CEO审批"
    approval = services.approval_approve(approval=approval, actor=torg.chair, now=WED)
    assert approval.status == Approval.Status.APPROVED
    assert approval.finished_at == WED
    signed = [(t.step_name, t.decided_by, t.decided_at) for t in approval.tasks.order_by("step")]
    assert signed == [
        ("部门负责人审批", torg.tech_head, MON),
        ("财务部审核", torg.finance_head, TUE),
        ("CEO审批", torg.chair, WED),
    ]
    names = list(
        Event.objects.filter(subject_id=approval.pk, name__startswith="approval.").values_list(
            "name", flat=True
        )
    )
    assert names == ["approval.submitted", "approval.approved", "approval.approved", "approval.approved"]


def test_each_pending_step_is_a_duty_in_the_ledger(torg, purchase):
    approval = file(torg, purchase, 80_000)
    task = approval.tasks.get()
    duty = Obligation.objects.get(kind=ObligationKind.APPROVAL_STEP, subject_id=task.pk)
    assert duty.responsible == torg.tech_head
    assert duty.state == Obligation.State.PENDING
    assert duty.due_at == MON + timedelta(days=2)  # 2 working days, seed 03 preset
    assert "三、(一)" in duty.clause
    services.approval_approve(approval=approval, actor=torg.tech_head, now=TUE)
    duty.refresh_from_db()
    assert duty.state == Obligation.State.MET
    assert (
        Obligation.objects.filter(
            kind=ObligationKind.APPROVAL_STEP, responsible=torg.finance_head, closed_at__isnull=True
        ).count()
        == 1
    )


def test_a_finished_approval_is_immutable(torg, purchase):
    approval = file(torg, purchase, 100)
    approval = services.approval_approve(approval=approval, actor=torg.tech_head, now=MON)
    assert approval.status == Approval.Status.APPROVED
    for call in (
        lambda: services.approval_approve(approval=approval, actor=torg.tech_head, now=TUE),
        lambda: services.approval_reject(approval=approval, actor=torg.tech_head, now=TUE, reason="x"),
        lambda: services.approval_withdraw(approval=approval, actor=torg.tech_liaison, now=TUE),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code == "finished"


# ---- 会签 and 或签 ----------------------------------------------------------------------------

GROUP_ROUTE = """
[[fields]]
name = "amount"
type = "amount"

[[steps]]
key = "heads"
name = "各部门会签"
approver = "group"
people = ["market_head", "finance_head"]
mode = "%s"
"""


def group_template(torg, activity, mode):
    return services.template_create(
        actor=torg.coordinator,
        now=MON,
        key=f"group-{mode}",
        name=f"会签{mode}",
        policy=activity,
        text=GROUP_ROUTE % mode,
    )


def test_countersign_needs_every_member(torg, activity):
    approval = file(torg, group_template(torg, activity, "all"), 10)
    approval = services.approval_approve(approval=approval, actor=torg.market_head, now=MON)
    assert approval.status == Approval.Status.PENDING
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=approval, actor=torg.market_head, now=MON)
    assert caught.value.code == "already_decided"
    approval = services.approval_approve(approval=approval, actor=torg.finance_head, now=TUE)
    assert approval.status == Approval.Status.APPROVED


def test_any_of_finishes_on_the_first_and_tells_the_other(torg, activity):
    approval = file(torg, group_template(torg, activity, "any"), 10)
    stale = Approval.objects.get(pk=approval.pk)  # the second approver's page, loaded before
    done = services.approval_approve(approval=approval, actor=torg.finance_head, now=MON)
    assert done.status == Approval.Status.APPROVED
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=stale, actor=torg.market_head, now=MON)
    assert caught.value.code == "finished"
    states = dict(Approval.objects.get(pk=approval.pk).tasks.values_list("approver__username", "state"))
    assert states == {"finance_head": Task.State.APPROVED, "market_head": Task.State.CLOSED}
    assert not Obligation.objects.filter(kind=ObligationKind.APPROVAL_STEP, closed_at__isnull=True).exists()


def test_any_of_in_the_middle_of_a_route_tells_the_slower_approver(torg, activity):
    text = GROUP_ROUTE % "any" + '\n[[steps]]\nkey = "ceo"\nname = "CEO"\napprover = "chair"\n'
    template = services.template_create(
        actor=torg.coordinator, now=MON, key="mid", name="中间或签", policy=activity, text=text
    )
    approval = file(torg, template, 10)
    stale = Approval.objects.get(pk=approval.pk)
    services.approval_approve(approval=approval, actor=torg.finance_head, now=MON)
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=stale, actor=torg.market_head, now=MON)
    assert caught.value.code == "decided_by_other"
    assert (
        str(caught.value)
        == "This step was already decided by another approver; your decision was not recorded."
    )
    assert Approval.objects.get(pk=approval.pk).tasks.filter(state=Task.State.APPROVED).count() == 1


# ---- return, reject, withdraw ------------------------------------------------------------------


def test_return_and_resubmit_restarts_at_the_templates_step(torg, purchase):
    approval = file(torg, purchase, 80_000)
    approval = services.approval_approve(approval=approval, actor=torg.tech_head, now=MON)
    with pytest.raises(DomainError) as caught:
        services.approval_return(approval=approval, actor=torg.finance_head, now=MON, comment="  ")
    assert caught.value.field == "comment"
    approval = services.approval_return(
        approval=approval, actor=torg.finance_head, now=MON, comment="请附报价单"
    )
    assert approval.status == Approval.Status.RETURNED
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=approval, actor=torg.finance_head, now=MON)
    assert caught.value.code == "returned"
    with pytest.raises(Forbidden):
        services.approval_resubmit(approval=approval, actor=torg.tech_head, now=TUE, title="x", amount=1)
    approval = services.approval_resubmit(
        approval=approval,
        actor=torg.tech_liaison,
        now=TUE,
        title="测试设备采购（附报价）",
        amount=20_000,
        values={"purpose": "采购测试服务器"},
    )
    assert approval.status == Approval.Status.PENDING
    assert route_keys(approval) == ["head", "finance"]  # re-routed for the new amount
    assert approval.step == 0 and approval.round == 2  # return_to = "head"
    assert list(approval.tasks.filter(round=2).values_list("approver__username", flat=True)) == ["tech_head"]


def test_reject_needs_a_reason_and_is_final(torg, purchase):
    approval = file(torg, purchase, 80_000)
    with pytest.raises(DomainError) as caught:
        services.approval_reject(approval=approval, actor=torg.tech_head, now=MON, reason="")
    assert caught.value.field == "comment"
    assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING
    approval = services.approval_reject(approval=approval, actor=torg.tech_head, now=MON, reason="预算不足")
    assert approval.status == Approval.Status.REJECTED


def test_withdraw_only_before_the_first_decision(torg, purchase):
    first = file(torg, purchase, 80_000)
    with pytest.raises(Forbidden):
        services.approval_withdraw(approval=first, actor=torg.tech_head, now=MON)
    services.approval_withdraw(approval=first, actor=torg.tech_liaison, now=MON)
    assert not Obligation.objects.filter(kind=ObligationKind.APPROVAL_STEP, closed_at__isnull=True).exists()
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=first, actor=torg.tech_head, now=TUE)
    assert caught.value.code == "withdrawn"
    second = file(torg, purchase, 80_000)
    services.approval_approve(approval=second, actor=torg.tech_head, now=MON)
    with pytest.raises(DomainError) as caught:
        services.approval_withdraw(approval=second, actor=torg.tech_liaison, now=TUE)
    assert caught.value.code == "already_decided"


# ---- who may decide ----------------------------------------------------------------------------


def test_someone_not_on_the_step_is_refused_with_403(torg, purchase):
    approval = file(torg, purchase, 80_000)
    for person in (torg.finance_head, torg.outsider, torg.tech_liaison):
        with pytest.raises(Forbidden):
            services.approval_approve(approval=approval, actor=person, now=MON)
    assert Approval.objects.get(pk=approval.pk).tasks.get().state == Task.State.PENDING


def test_a_delegate_decides_for_the_approver(torg, purchase):
    Delegation.objects.create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 2),
    )
    approval = file(torg, purchase, 100)
    with pytest.raises(Forbidden):  # the delegation covers Monday only
        services.approval_approve(approval=approval, actor=torg.tech_deputy, now=TUE)
    approval = services.approval_approve(approval=approval, actor=torg.tech_deputy, now=MON, comment="代批")
    task = approval.tasks.get()
    assert (task.approver, task.decided_by) == (torg.tech_head, torg.tech_deputy)
    event = Event.objects.get(name="approval.approved", subject_id=approval.pk)
    assert event.actor == torg.tech_deputy and event.data["on_behalf_of"] == torg.tech_head.pk


def test_transfer_where_the_template_allows_it(torg, purchase):
    approval = file(torg, purchase, 100)
    with pytest.raises(DomainError) as caught:
        services.approval_transfer(approval=approval, actor=torg.tech_head, now=MON, to=torg.tech_head)
    assert caught.value.field == "to"
    approval = services.approval_transfer(
        approval=approval, actor=torg.tech_head, now=MON, to=torg.tech_deputy
    )
    with pytest.raises(DomainError) as caught:
        services.approval_approve(approval=approval, actor=torg.tech_head, now=MON)
    assert caught.value.code == "already_decided"
    approval = services.approval_approve(approval=approval, actor=torg.tech_deputy, now=TUE)
    assert approval.status == Approval.Status.APPROVED
    assert list(approval.tasks.values_list("state", flat=True)) == [
        Task.State.TRANSFERRED,
        Task.State.APPROVED,
    ]


def test_transfer_is_refused_where_the_template_does_not_allow_it(torg, activity):
    approval = file(torg, group_template(torg, activity, "any"), 10)
    with pytest.raises(DomainError) as caught:
        services.approval_transfer(approval=approval, actor=torg.market_head, now=MON, to=torg.tech_head)
    assert caught.value.code == "no_transfer"
    assert services.approval_actions(approval, torg.market_head, now=MON) == ["approve", "return", "reject"]


def test_actions_offered_follow_the_table(torg, purchase):
    approval = file(torg, purchase, 100)
    assert services.approval_actions(approval, torg.tech_head, now=MON) == [
        "approve",
        "return",
        "reject",
        "transfer",
    ]
    assert services.approval_actions(approval, torg.tech_liaison, now=MON) == ["withdraw"]
    assert services.approval_actions(approval, torg.outsider, now=MON) == []


def test_the_committee_step_resolves_at_run_time(torg, activity):
    text = '[[fields]]\nname = "purpose"\n\n[[steps]]\nkey = "c"\nname = "委员会"\napprover = "committee"\nmode = "all"\n'
    template = services.template_create(
        actor=torg.coordinator, now=MON, key="committee", name="委员会审批", policy=activity, text=text
    )
    with pytest.raises(DomainError) as caught:
        services.approval_submit(
            template=template, actor=torg.tech_liaison, now=MON, title="t", values={"purpose": "p"}
        )
    assert caught.value.code == "no_approver"
    assert not Approval.objects.exists()  # nothing half-saved
    make_person("c1", "委员一", torg.departments["office"], Role.COMMITTEE)
    approval = services.approval_submit(
        template=template, actor=torg.tech_liaison, now=MON, title="t", values={"purpose": "p"}
    )
    assert [t.approver.username for t in approval.tasks.all()] == ["c1"]


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-1", "amount_negative"),
        ("abc", "amount_invalid"),
        ("", "amount_required"),
        ("1.001", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
    ],
)
def test_bad_amounts_are_refused_on_the_field(torg, purchase, amount, code):
    with pytest.raises(DomainError) as caught:
        file(torg, purchase, amount)
    assert (caught.value.field, caught.value.code) == ("amount", code)
    assert not Approval.objects.exists()


def test_a_blank_threshold_refuses_the_template(torg):
    from xietong.policy.services import policy_install_preset

    policy = policy_install_preset(name="seed03-activity", now=MON)
    with pytest.raises(DomainError) as caught:
        services.template_create(
            actor=torg.coordinator,
            now=MON,
            key="p",
            name="采购",
            policy=policy,
            text=bundled_template("equipment-purchase"),
        )
    assert (caught.value.code, caught.value.field) == ("blank_threshold", "text")
    assert "still blank in the regulation" in str(caught.value)
    assert "四、(一)" in str(caught.value)


def test_a_filled_threshold_cannot_be_blanked_again(torg, purchase, activity):
    from xietong.policy.rules import PolicyFileError, load_rules, to_data
    from xietong.policy.selectors import current_version
    from xietong.policy.services import policy_version_create

    data = to_data(current_version(activity).rules)
    del data["rules"]["approval_ceo_threshold"]["yuan"]
    data["rules"]["approval_ceo_threshold"]["blank"] = True
    with pytest.raises(PolicyFileError) as caught:
        policy_version_create(
            policy=activity, actor=torg.coordinator, now=TUE, reason="重新讨论", rules=load_rules(data)
        )
    assert caught.value.keys() == {"approval_ceo_threshold"}
    assert [s["key"] for s in file(torg, purchase, CEO, now=TUE).route] == ["head", "finance", "ceo"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[fields]]\nname = "amount"\ntype = "amount"\n', "The route is empty"),
        (
            '[[fields]]\nname = "amount"\ntype = "amount"\n[[steps]]\nkey = "a"\napprover = "chair"\n'
            '[[steps]]\nkey = "a"\napprover = "chair"\n',
            "comes back to the step “a” (a loop)",
        ),
        (
            '[[fields]]\nname = "purpose"\n[[steps]]\nkey = "a"\napprover = "chair"\n'
            'when = { field = "amount", at_least = "approval_ceo_threshold" }\n',
            "the field “amount”, which the form does not have",
        ),
        (
            '[[fields]]\nname = "amount"\ntype = "amount"\n[[steps]]\nkey = "a"\napprover = "chair"\nmode = "some"\n',
            "mode “some”",
        ),
        (
            '[[fields]]\nname = "x"\n[[steps]]\nkey = "a"\napprover = "department_head"\ndepartment = "不存在部"\n',
            "不存在部",
        ),
        ("not = [toml", "not valid TOML"),
    ],
)
def test_bad_definitions_are_refused_on_the_text_field(torg, activity, text, message):
    with pytest.raises(DomainError) as caught:
        services.template_create(
            actor=torg.coordinator, now=MON, key="bad", name="坏模板", policy=activity, text=text
        )
    assert caught.value.field == "text"
    assert message in str(caught.value)


def test_only_the_coordinator_defines_templates(torg, activity):
    with pytest.raises(Forbidden):
        services.template_create(
            actor=torg.tech_head,
            now=MON,
            key="x",
            name="x",
            policy=activity,
            text=bundled_template("equipment-purchase"),
        )


def test_a_new_template_version_leaves_filed_approvals_on_theirs(torg, purchase):
    approval = file(torg, purchase, 80_000)
    text = bundled_template("equipment-purchase").replace("transfer = true", "transfer = false")
    version = services.template_version_create(
        template=purchase, actor=torg.coordinator, now=TUE, text=text, reason="不允许转交"
    )
    assert version.number == 2
    assert Approval.objects.get(pk=approval.pk).version.number == 1
    with pytest.raises(DomainError) as caught:
        services.template_version_create(
            template=purchase, actor=torg.coordinator, now=TUE, text=text, reason="again"
        )
    assert caught.value.code == "unchanged"

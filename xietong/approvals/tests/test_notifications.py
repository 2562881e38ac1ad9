"""Notifications of approvals go through the outbox: the next step's approvers, the applicant."""

from __future__ import annotations

import pytest
from django.utils import translation

from xietong.approvals import services
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.notify.topics import render

from .conftest import MON, TUE, WED, file

pytestmark = pytest.mark.django_db


def inbox(person):
    return list(Message.objects.filter(recipient=person).order_by("id").values_list("topic", flat=True))


def test_each_step_tells_its_approvers_and_each_decision_the_applicant(torg, purchase):
    approval = file(torg, purchase, 80_000)
    services.approval_approve(approval=approval, actor=torg.tech_head, now=TUE, comment="同意")
    services.approval_approve(approval=approval, actor=torg.finance_head, now=WED)
    services.approval_approve(approval=approval, actor=torg.chair, now=WED)
    notify_dispatch(now=WED)
    assert inbox(torg.tech_head) == ["approval_awaiting"]
    assert inbox(torg.finance_head) == ["approval_awaiting"]
    assert inbox(torg.chair) == ["approval_awaiting"]
    assert inbox(torg.tech_liaison) == [
        "approval_step_approved",
        "approval_step_approved",
        "approval_finished",
    ]
    message = Message.objects.filter(recipient=torg.tech_liaison).first()
    with translation.override("en"):
        text = render(message.topic, message.params)
    assert text.body.startswith("周技术 approved “测试设备采购” at the step “部门负责人审批”. 同意")


def test_a_returned_approval_tells_the_applicant_why(torg, purchase):
    approval = file(torg, purchase, 100, now=MON)
    services.approval_return(approval=approval, actor=torg.tech_head, now=TUE, comment="请补充用途")
    notify_dispatch(now=TUE)
    message = Message.objects.get(recipient=torg.tech_liaison)
    assert message.topic == "approval_returned" and message.params["comment"] == "请补充用途"


def test_steps_opened_at_the_same_instant_notify_each_approver_once(torg, purchase):
    approval = file(torg, purchase, 80_000, now=MON)
    services.approval_approve(approval=approval, actor=torg.tech_head, now=MON)
    services.approval_transfer(approval=approval, actor=torg.finance_head, now=MON, to=torg.finance_liaison)
    notify_dispatch(now=MON)
    assert inbox(torg.tech_head) == ["approval_awaiting"]
    assert inbox(torg.finance_head) == ["approval_awaiting"]
    assert inbox(torg.finance_liaison) == ["approval_awaiting"]

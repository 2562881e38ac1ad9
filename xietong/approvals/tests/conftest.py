"""Helpers for the approval tests: seed 03's regulation with its blanks filled, the bundled
equipment purchase template, and approvals filed through the services."""

from __future__ import annotations

from datetime import datetime

import pytest

from xietong.approvals import services
from xietong.approvals.bundled import bundled_template, fill_thresholds
from xietong.policy.calendar import SHANGHAI
from xietong.policy.services import policy_install_preset

# Monday 2 March 2026, an ordinary working week.
MON = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
TUE = datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
WED = datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
# The organisation's amounts for seed 03's "X 万元": finance from 1 万元, the CEO from 5 万元.
FINANCE = 10_000
CEO = 50_000


@pytest.fixture
def activity(torg):
    policy = policy_install_preset(name="seed03-activity", now=MON)
    fill_thresholds(policy, actor=torg.coordinator, now=MON, finance=FINANCE, ceo=CEO)
    return policy


@pytest.fixture
def purchase(torg, activity):
    return services.template_create(
        actor=torg.coordinator,
        now=MON,
        key="equipment-purchase",
        name="设备采购审批",
        policy=activity,
        text=bundled_template("equipment-purchase"),
    )


def file(torg, template, amount, *, actor=None, now=MON, purpose="采购测试服务器"):
    return services.approval_submit(
        template=template,
        actor=actor or torg.tech_liaison,
        now=now,
        title="测试设备采购",
        amount=amount,
        values={"purpose": purpose},
    )

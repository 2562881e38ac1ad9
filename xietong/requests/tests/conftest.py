"""Helpers for the request tests: seed 04's scheme installed, one request type, requests filed
through the services."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xietong.policy.calendar import SHANGHAI
from xietong.policy.rules import load_rules, to_data
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_install_preset, policy_version_create
from xietong.requests import services

# Monday 2 March 2026, an ordinary working week.
MON = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
TUE = datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
WED = datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
FRIDAY_DAY = date(2026, 3, 6)


@pytest.fixture
def scheme(torg):
    return policy_install_preset(name="seed04-collaboration", now=MON)


@pytest.fixture
def tech_support(torg, scheme):
    return services.request_type_create(
        actor=torg.coordinator, now=MON, key="tech-support", name="技术支持", policy=scheme
    )


def working_clock(policy, *, actor, now):
    """A new version of ``policy`` counting the response time in working hours."""
    data = to_data(current_version(policy).rules)
    data["rules"]["request_response_clock"]["value"] = "working"
    return policy_version_create(
        policy=policy, actor=actor, now=now, reason="按工作时间计", rules=load_rules(data)
    )


def file(torg, request_type, *, actor=None, to=None, now=MON, expected_by=FRIDAY_DAY, title="导出客户数据"):
    return services.request_submit(
        actor=actor or torg.market_liaison,
        now=now,
        request_type=request_type,
        to_department=to or torg.departments["tech"],
        title=title,
        content="请导出上季度客户名单用于回访",
        expected_by=expected_by,
        support_needed="数据库查询",
    )

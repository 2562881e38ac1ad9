"""The bundled approval templates, and a helper that fills seed 03's blank thresholds (tests, demo)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from xietong.policy.models import Policy
from xietong.policy.rules import load_rules, to_data
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_version_create

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates_data"


def bundled_template(name: str) -> str:
    """The TOML text of a bundled template (e.g. "equipment-purchase")."""
    return (TEMPLATES_DIR / f"{name}.toml").read_text(encoding="utf-8")


def fill_thresholds(policy: Policy, *, actor, now: datetime, **yuan: int):
    """A new version of ``policy`` with the amount rules ``yuan`` filled in (finance=…, ceo=…)."""
    data = to_data(current_version(policy).rules)
    for short, value in yuan.items():
        rule = data["rules"][f"approval_{short}_threshold"]
        rule.pop("blank", None)
        rule["yuan"] = value
    return policy_version_create(
        policy=policy, actor=actor, now=now, reason="填写审批金额", rules=load_rules(data)
    )

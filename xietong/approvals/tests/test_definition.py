"""The template definition as a plain module: parsed and checked without a database."""

from __future__ import annotations

import pytest
from django.utils import translation

from xietong.approvals.bundled import bundled_template
from xietong.approvals.definition import DefinitionError, parse_definition, step_applies


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_the_bundled_purchase_template():
    definition = parse_definition(bundled_template("equipment-purchase"))
    assert [s.key for s in definition.steps] == ["head", "finance", "ceo"]
    assert definition.rules_used() == ["approval_finance_threshold", "approval_ceo_threshold"]
    assert (definition.return_to, definition.transfer) == ("head", True)
    finance = definition.steps[1]
    thresholds = {"approval_finance_threshold": 10_000}
    assert not step_applies(finance, {"amount": 9_999}, thresholds)
    assert step_applies(finance, {"amount": 10_000}, thresholds)
    assert not step_applies(finance, {"amount": None}, thresholds)


def test_every_problem_is_reported_at_once():
    text = """
return_to = "nowhere"
colour = "red"

[[fields]]
name = "Amount"
type = "money"

[[steps]]
key = "a"
approver = "boss"

[[steps]]
key = "a"
approver = "group"
mode = "most"
"""
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text)
    assert caught.value.problems == [
        "Unknown setting “colour”.",
        "Field 1: name “Amount” must be lower-case letters, digits or _.",
        "Field 1: type “money” is not one of amount, text, department.",
        "Step 1: approver “boss” is not one of applicant_head, department_head, chair, committee, leadership, person, group.",
        "Step 2: the route comes back to the step “a” (a loop); each step appears once.",
        "Step 2: name the approvers in “people”.",
        "Step 2: mode “most” must be “any” (或签) or “all” (会签).",
        "“return_to” names the step “nowhere”, which the route does not have.",
    ]

"""Every rule of every bundled regulation cites a clause that exists.

Each preset lists its regulation's clauses ([clauses], taken from the source text in
shared/seeds/). A citation of the regulation's own clause must be in that list; a citation of
another document (after its 《title》) must be in the list of the preset whose source that is;
a rule the organisation added (本组织补充) says so and cites the clause it supplements.
"""

import os

import django
import pytest
from django.apps import apps
from django.conf import settings

if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    settings.configure()
if not apps.ready:
    django.setup()

from django.utils import translation  # noqa: E402

from xietong.policy.rules import (  # noqa: E402
    ORGANISATION_SUPPLEMENT,
    PolicyFileError,
    clause_citations,
    dump_policy,
    load_preset,
    load_rules,
    parse_policy,
    preset_names,
    to_data,
)

PRESETS = {name: load_preset(name) for name in preset_names()}
BY_SOURCE = {rules.source.strip("《》"): rules for rules in PRESETS.values()}
CITATIONS = [
    pytest.param(name, key, rule.clause, id=f"{name}:{key}")
    for name, rules in PRESETS.items()
    for key, rule in rules.rules.items()
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_citations_are_read_as_the_regulations_number_their_clauses():
    assert clause_citations("第五条(二)3（宽限时长为本组织补充）") == [("", "第五条(二)3")]
    assert clause_citations("第三条3；第五条(二)2") == [("", "第三条3"), ("", "第五条(二)2")]
    assert clause_citations("本组织补充（四、(一)：决策需经多数参会者同意）") == [("", "四、(一)")]
    assert clause_citations("第五条(一)4；参照《跨部门业务协调会议的标准流程与措施》四、(三)") == [
        ("", "第五条(一)4"),
        ("跨部门业务协调会议的标准流程与措施", "四、(三)"),
    ]
    assert clause_citations("本组织补充") == []


def test_every_preset_lists_its_clauses():
    assert len(PRESETS["seed01-weekly"].clauses) == 32
    assert len(PRESETS["seed02-coordination"].clauses) == 38
    assert len(PRESETS["seed03-activity"].clauses) == 22
    assert len(PRESETS["seed04-collaboration"].clauses) == 17
    # seed 01 第五条(二) has four roles, (三) six duties; seed 02 二、(三) two steps.
    assert [c for c in PRESETS["seed01-weekly"].clauses if c.startswith("第五条(二)")] == [
        "第五条(二)",
        "第五条(二)1",
        "第五条(二)2",
        "第五条(二)3",
        "第五条(二)4",
    ]
    assert "第五条(三)6" in PRESETS["seed01-weekly"].clauses
    assert "第五条(三)7" not in PRESETS["seed01-weekly"].clauses
    assert "二、(三)3" not in PRESETS["seed02-coordination"].clauses


@pytest.mark.parametrize(("preset", "key", "clause"), CITATIONS)
def test_every_citation_names_a_clause_that_exists(preset, key, clause):
    cited = clause_citations(clause)
    assert cited, f"{key} cites no clause: {clause!r}"
    for document, clause_id in cited:
        table = PRESETS[preset].clauses if not document else BY_SOURCE[document].clauses
        assert clause_id in table, f"{key} cites {clause_id} of {document or preset}, which does not exist"
    if ORGANISATION_SUPPLEMENT in clause:
        # The organisation's own rule names the clause of its own regulation it supplements.
        assert any(not document for document, _id in cited), clause


def test_seed01_cites_the_clauses_that_say_so():
    rules = PRESETS["seed01-weekly"]
    assert clause_citations(rules.get("warning_lead_days").clause) == [("", "第五条(二)1")]
    assert clause_citations(rules.get("warning_lead_short").clause) == [("", "第五条(二)1")]
    assert clause_citations(rules.get("leadership_approval_days").clause) == [("", "第五条(一)2")]
    assert clause_citations(rules.get("escalation_misses").clause)[0] == ("", "第五条(一)4")
    assert clause_citations(rules.get("reminder_first").clause) == [("", "第五条(二)1")]


def test_each_duty_has_its_own_rule_and_clause():
    # The owner finishes by the decision's deadline (seed 01 第三条3, 第五条(二)2; seed 02 二、(二)4);
    # the warning before it is the coordinator's follow-up (第五条(二)1; 二、(三)2).
    seed01, seed02 = PRESETS["seed01-weekly"], PRESETS["seed02-coordination"]
    assert seed01.get("action_due").clause == "第三条3；第五条(二)2"
    assert seed02.get("action_due").clause == "二、(二)4"
    assert seed01.get("action_due").describe() == "By the deadline the decision sets"
    assert seed02.get("warning_lead_days").clause.startswith("二、(三)2")


def test_a_citation_missing_from_the_clause_list_is_refused():
    data = to_data(PRESETS["seed01-weekly"])
    data["rules"]["leadership_approval_days"]["clause"] = "第四条(一)2（时限为本组织补充）"
    data["rules"]["reminder_first"]["clause"] = ORGANISATION_SUPPLEMENT
    with pytest.raises(PolicyFileError) as caught:
        load_rules(data)
    assert caught.value.problems == [
        (
            "reminder_first",
            "Cite the clause this rule comes from or supplements, e.g. “本组织补充（补充第六条1）”.",
        ),
        (
            "leadership_approval_days",
            "This rule cites 第四条(一)2, which is not in the regulation's [clauses] list.",
        ),
    ]


def test_a_policy_without_a_clause_list_is_not_checked():
    data = to_data(PRESETS["seed01-weekly"])
    del data["clauses"]
    data["rules"]["reminder_first"]["clause"] = ORGANISATION_SUPPLEMENT
    assert load_rules(data).clauses == {}


def test_a_malformed_clause_list_is_refused():
    data = to_data(PRESETS["seed02-coordination"])
    data["clauses"] = {"Article 5": "x", "二、(一)": ""}
    with pytest.raises(PolicyFileError) as caught:
        load_rules(data)
    assert caught.value.problems[:2] == [
        (
            "clauses",
            "“Article 5” is not a clause id; write it as the regulation numbers it, e.g. 第五条(二)1.",
        ),
        ("clauses", "The name of clause “二、(一)” must be text of 1–200 characters."),
    ]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_clause_list_survives_a_round_trip(name):
    rules = PRESETS[name]
    assert parse_policy(dump_policy(rules)) == rules
    assert load_rules(to_data(rules)).clauses == rules.clauses
    if name.startswith("seed03"):  # a regulation of approvals: its grading of amounts
        assert "按金额分级" in rules.clause_name("四、(一)")
    elif name.startswith("seed04"):  # a scheme of requests: its response time limit
        assert "规定时限内响应" in rules.clause_name("四、2")
    else:
        minutes_clause = "二、(三)1" if name.startswith("seed02") else "第五条(二)3"
        assert "24小时内" in rules.clause_name(minutes_clause) or "2小时内" in rules.clause_name(
            minutes_clause
        )
    assert rules.clause_name("第九十九条") == ""


def test_seed04_request_response_cites_the_standard_request_flow():
    rules = PRESETS["seed04-collaboration"]
    assert (rules.get("request_response").minutes, rules.get("request_response").clause) == (1440, "四、2")
    assert rules.choice("request_response_clock") == "calendar"
    assert rules.get("request_response").describe() == "Respond within 1440 minutes of the request"

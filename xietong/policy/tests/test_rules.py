"""The regulation as data: presets, round trips, deadlines and every kind of refusal.

No database. Messages are rendered in the active language when a problem is found, which
needs Django settings; when this module runs without the project's settings (``-p no:django``)
it configures a bare Django so translation works, and pins English so the msgids are compared.
"""

import copy
import json
import os
from datetime import UTC, datetime, time

import django
import pytest
from django.apps import apps
from django.conf import settings

if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    settings.configure()
if not apps.ready:
    django.setup()

from django.utils import translation  # noqa: E402

from xietong.policy.calendar import SHANGHAI, BusinessCalendar, CalendarResult  # noqa: E402
from xietong.policy.rules import (  # noqa: E402
    CHOICE_KEYS,
    CHOICE_VALUES,
    COUNT_KEYS,
    DEADLINE_KINDS,
    DURATION_KEYS,
    PRESETS_DIR,
    RULE_LABELS,
    PolicyFileError,
    PolicyRules,
    Rule,
    dump_policy,
    load_preset,
    load_rules,
    parse_policy,
    preset_names,
    to_data,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cal():
    return BusinessCalendar()


def sh(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def base():
    """A valid policy as a dict, to break one piece at a time."""
    return copy.deepcopy(to_data(load_preset("seed01-weekly")))


def problems_of(data):
    with pytest.raises(PolicyFileError) as caught:
        load_rules(data)
    return caught.value.problems


# ---- presets -----------------------------------------------------------------------------


def test_preset_names():
    assert PRESETS_DIR.name == "presets"
    assert preset_names() == [
        "seed01-weekly",
        "seed02-coordination",
        "seed03-activity",
        "seed04-collaboration",
    ]
    with pytest.raises(KeyError):
        load_preset("../rules")


def test_seed01_preset():
    rules = load_preset("seed01-weekly")
    assert (rules.key, rules.name, rules.source) == (
        "weekly-cross-department",
        "周例会跨科室协作制度",
        "《周例会跨科室协作制度》",
    )
    assert list(rules.rules) == [
        "topic_window_opens",
        "topic_window_closes",
        "head_review_cutoff",
        "submission_cutoff",
        "agenda_cutoff",
        "notice_lead",
        "absence_notice_lead",
        "progress_report_cutoff",
        "meeting_duration_cap",
        "open_discussion_slot",
        "default_item_budget",
        "minutes_deadline",
        "decision_ack",
        "warning_lead_short",
        "reminder_first",
        "reminder_second",
        "signin_link_grace",
        "absence_notice_after_notice",
        "warning_lead_days",
        "escalation_misses",
        "leadership_approval_days",
        "delegate_scope",
        "decision_vote",
        "action_due",
    ]
    assert rules.choice("majority_method") == "simple"  # seed 01 sets no vote rule: the default
    assert rules.count("escalation_misses") == 3
    thu, fri = 3, 4
    submission = rules.get("submission_cutoff")
    assert submission == Rule(
        key="submission_cutoff",
        clause="第五条(二)4",
        note="科室协作联络员每周四15:00前提交本科室协作议题；遇节假日提前至前一工作日为本组织补充",
        kind="weekday_before",
        weekday=thu,
        at=time(15, 0),
        if_closed="earlier",
    )
    assert (rules.get("topic_window_opens").weekday, rules.get("topic_window_opens").at) == (thu, time(10))
    assert rules.get("topic_window_opens").clause == "第六条1"
    assert (rules.get("head_review_cutoff").at, rules.get("head_review_cutoff").clause) == (
        time(12),
        "第五条(三)2",
    )
    assert (rules.get("agenda_cutoff").at, rules.get("agenda_cutoff").clause) == (time(17), "第五条(二)1")
    notice = rules.get("notice_lead")
    assert (notice.kind, notice.weekday, notice.at, notice.if_closed) == (
        "weekday_before",
        fri,
        time(17),
        "earlier",
    )
    absence = rules.get("absence_notice_lead")
    assert (absence.kind, absence.days, absence.at, absence.clause) == (
        "working_days_before",
        1,
        None,
        "第五条(三)3",
    )
    assert rules.minutes("meeting_duration_cap") == 90
    assert rules.minutes("minutes_deadline") == 120
    assert rules.minutes("decision_ack") == 60
    assert rules.minutes("open_discussion_slot") == 10
    assert rules.minutes("default_item_budget") == 15
    assert rules.get("open_discussion_slot").clause.startswith("本组织补充")
    assert rules.get("default_item_budget").clause.startswith("本组织补充")
    assert rules.get("attendee_cap") is None


def test_seed02_preset():
    rules = load_preset("seed02-coordination")
    assert rules.key == "cross-department-coordination"
    notice = rules.get("notice_lead")
    assert (notice.kind, notice.hours, notice.clause) == ("hours_before", 24, "二、(一)4")
    assert rules.minutes("meeting_duration_cap") == 60
    assert rules.minutes("default_item_budget") == 15
    assert rules.minutes("open_discussion_slot") == 10
    assert rules.minutes("minutes_deadline") == 1440
    assert rules.minutes("speaking_limit") == 3
    assert (rules.get("attendee_cap").count, rules.get("attendee_cap").clause) == (15, "二、(一)2")
    assert (rules.get("min_agree_votes").count, rules.get("min_agree_votes").clause) == (5, "四、(一)")
    assert rules.get("speaking_limit").clause == "三、(一)1"
    assert rules.get("minutes_deadline").clause == "二、(三)1"
    for key in ("submission_cutoff", "agenda_cutoff"):
        assert rules.get(key).kind == "working_days_before"
        assert rules.get(key).clause.startswith("本组织补充")
    assert rules.get("head_review_cutoff") is None


def test_every_preset_rule_cites_a_clause():
    for name in preset_names():
        for rule in load_preset(name).rules.values():
            assert rule.clause.strip(), (name, rule.key)
            assert rule.kind in (*DEADLINE_KINDS, "duration", "count", "choice", "duty", "amount")
            assert str(RULE_LABELS[rule.key])


# ---- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["seed01-weekly", "seed02-coordination", "seed03-activity", "seed04-collaboration"]
)
def test_dump_then_parse_gives_the_same_rules(name):
    rules = load_preset(name)
    text = dump_policy(rules)
    assert parse_policy(text) == rules
    assert dump_policy(parse_policy(text)) == text


@pytest.mark.parametrize(
    "name", ["seed01-weekly", "seed02-coordination", "seed03-activity", "seed04-collaboration"]
)
def test_data_survives_json(name):
    rules = load_preset(name)
    data = json.loads(json.dumps(to_data(rules)))
    assert load_rules(data) == rules


def test_dump_escapes_awkward_text():
    data = base()
    data["policy"]["name"] = '制度 "A"\n第二行\\'
    data["rules"]["submission_cutoff"]["note"] = "tab\there\x01 and “quotes” 'single'"
    rules = load_rules(data)
    assert parse_policy(dump_policy(rules)) == rules


def test_toml_native_times_and_a_byte_order_mark_are_accepted():
    text = dump_policy(load_preset("seed01-weekly")).replace('time = "15:00"', "time = 15:00:00")
    assert "time = 15:00:00" in text
    assert parse_policy("\ufeff" + text) == load_preset("seed01-weekly")


# ---- deadlines --------------------------------------------------------------------------------


def test_seed01_deadlines_for_a_monday_meeting(cal):
    rules = load_preset("seed01-weekly")
    meeting = sh(2026, 3, 9, 10)
    assert rules.deadline("topic_window_opens", meeting, cal) == CalendarResult(sh(2026, 3, 5, 10))
    assert rules.deadline("head_review_cutoff", meeting, cal) == CalendarResult(sh(2026, 3, 5, 12))
    assert rules.deadline("submission_cutoff", meeting, cal) == CalendarResult(sh(2026, 3, 5, 15))
    assert rules.deadline("agenda_cutoff", meeting, cal) == CalendarResult(sh(2026, 3, 5, 17))
    assert rules.deadline("notice_lead", meeting, cal) == CalendarResult(sh(2026, 3, 6, 17))
    # No time given: the same time of day as the meeting.
    assert rules.deadline("absence_notice_lead", meeting, cal) == CalendarResult(sh(2026, 3, 6, 10))
    assert rules.deadline("attendee_cap", meeting, cal) is None


def test_seed01_deadlines_around_national_day(cal):
    rules = load_preset("seed01-weekly")
    # Thursday 2026-10-01 and Friday 10-02 are National Day: both move to Wednesday 09-30.
    meeting = sh(2026, 10, 5, 10)
    assert rules.deadline("submission_cutoff", meeting, cal).value == sh(2026, 9, 30, 15)
    assert rules.deadline("notice_lead", meeting, cal).value == sh(2026, 9, 30, 17)


def test_seed02_deadlines(cal):
    rules = load_preset("seed02-coordination")
    meeting = sh(2026, 3, 9, 9)
    # 24 plain clock hours: a Monday 09:00 meeting needs its notice out on Sunday.
    assert rules.deadline("notice_lead", meeting, cal) == CalendarResult(sh(2026, 3, 8, 9))
    assert rules.deadline("submission_cutoff", meeting, cal) == CalendarResult(sh(2026, 3, 4, 17))
    assert rules.deadline("agenda_cutoff", meeting, cal) == CalendarResult(sh(2026, 3, 5, 12))
    assert rules.deadline("head_review_cutoff", meeting, cal) is None
    # After the Spring Festival break: counted over the worked Saturday 02-14.
    meeting = sh(2026, 2, 25, 9)
    assert rules.deadline("submission_cutoff", meeting, cal).value == sh(2026, 2, 13, 17)
    assert rules.deadline("agenda_cutoff", meeting, cal).value == sh(2026, 2, 14, 12)


def test_hours_before_reads_any_zone_and_flags_unpublished_years(cal):
    rules = load_preset("seed02-coordination")
    meeting_utc = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    result = rules.deadline("notice_lead", meeting_utc, cal)
    assert result == CalendarResult(sh(2027, 1, 3, 9), frozenset({2027}))
    assert result.value.utcoffset().total_seconds() == 8 * 3600
    with pytest.raises(ValueError, match="naive"):
        rules.deadline("notice_lead", datetime(2026, 3, 9, 9), cal)


def test_weekday_deadline_for_a_2027_meeting_is_flagged(cal):
    result = load_preset("seed01-weekly").deadline("submission_cutoff", sh(2027, 1, 11, 10), cal)
    assert result == CalendarResult(sh(2027, 1, 7, 15), frozenset({2027}))


def test_minutes_accessor():
    rules = load_preset("seed01-weekly")
    with pytest.raises(KeyError):
        rules.minutes("speaking_limit")
    with pytest.raises(ValueError):
        rules.minutes("notice_lead")


def test_describe():
    one = load_preset("seed01-weekly")
    two = load_preset("seed02-coordination")
    assert (
        one.get("submission_cutoff").describe()
        == "Thursday before the meeting, 15:00 (moved earlier if a holiday)"
    )
    assert one.get("absence_notice_lead").describe() == "1 working day before the meeting, at its start time"
    assert one.get("meeting_duration_cap").describe() == "At most 90 minutes"
    assert two.get("notice_lead").describe() == "24 hours before the meeting starts"
    assert two.get("submission_cutoff").describe() == "3 working days before the meeting, 17:00"
    assert two.get("min_agree_votes").describe() == "At least 5 votes in favour"


# ---- refusals ---------------------------------------------------------------------------------


def test_bad_time():
    data = base()
    data["rules"]["submission_cutoff"]["time"] = "25:00"
    assert problems_of(data) == [("submission_cutoff", "Time “25:00” is not valid; use HH:MM.")]


@pytest.mark.parametrize("value", ["24:00", "9:60", "noon", "15.00", 15])
def test_other_bad_times(value):
    data = base()
    data["rules"]["agenda_cutoff"]["time"] = value
    assert [key for key, _ in problems_of(data)] == ["agenda_cutoff"]


def test_bad_weekday():
    data = base()
    data["rules"]["submission_cutoff"]["weekday"] = "thursday"
    assert problems_of(data) == [
        ("submission_cutoff", "Weekday “thursday” is not valid; use mon, tue, wed, thu, fri, sat or sun.")
    ]


def test_bad_if_closed():
    data = base()
    data["rules"]["notice_lead"]["if_closed"] = "sooner"
    assert problems_of(data) == [("notice_lead", "“if_closed” must be “earlier” or “later”, not “sooner”.")]


def test_unknown_rule():
    data = base()
    data["rules"]["coffee_break"] = {"clause": "第九条", "minutes": 15}
    assert problems_of(data) == [("coffee_break", "Unknown rule “coffee_break”.")]


def test_unknown_kind():
    data = base()
    data["rules"]["agenda_cutoff"] = {"clause": "第五条(二)1", "kind": "days_before", "days": 1}
    assert problems_of(data) == [
        (
            "agenda_cutoff",
            "Kind “days_before” is not valid for this rule; use one of: "
            "weekday_before, hours_before, working_days_before.",
        )
    ]


def test_deadline_kind_on_a_duration_rule():
    data = base()
    data["rules"]["meeting_duration_cap"]["kind"] = "hours_before"
    assert [key for key, _ in problems_of(data)] == ["meeting_duration_cap"]


@pytest.mark.parametrize("preset", ["seed01-weekly", "seed02-coordination"])
@pytest.mark.parametrize(
    ("group", "kind"), [("duration", "duration"), ("count", "count"), ("choice", "choice")]
)
def test_a_one_kind_rule_refuses_another_kind_in_both_languages(preset, group, kind):
    keys = {"duration": DURATION_KEYS, "count": COUNT_KEYS, "choice": CHOICE_KEYS}[group]
    data = copy.deepcopy(to_data(load_preset(preset)))
    key = next((k for k in keys if k in data["rules"]), next(iter(keys)))
    if key not in data["rules"]:  # a rule this preset leaves out: added, citing one of its clauses
        clause = next(iter(data["rules"].values()))["clause"]
        field = {"duration": {"minutes": 10}, "count": {"count": 1}}.get(group)
        data["rules"][key] = {"clause": clause, **(field or {"value": CHOICE_VALUES[key][0]})}
    data["rules"][key]["kind"] = "weekday_before"
    assert problems_of(data) == [
        (key, f"Kind “weekday_before” is not valid for this rule; use “{kind}” or leave it out.")
    ]
    with translation.override("zh-hans"):
        assert problems_of(data) == [(key, f"本规则不支持 kind 值“weekday_before”，请使用“{kind}”或不填写。")]
    data["rules"][key]["kind"] = kind  # naming its own kind is accepted
    load_rules(data)


def test_missing_kind():
    data = base()
    del data["rules"]["notice_lead"]["kind"]
    assert [key for key, _ in problems_of(data)] == ["notice_lead"]


def test_wrong_types():
    data = base()
    data["rules"]["meeting_duration_cap"]["minutes"] = "90"
    data["rules"]["minutes_deadline"]["minutes"] = 120.0
    data["rules"]["decision_ack"]["minutes"] = True
    assert problems_of(data) == [
        ("meeting_duration_cap", "“minutes” must be a whole number, not “90”."),
        ("minutes_deadline", "“minutes” must be a whole number, not “120.0”."),
        ("decision_ack", "“minutes” must be a whole number, not “True”."),
    ]


def test_negative_numbers():
    data = base()
    data["rules"]["meeting_duration_cap"]["minutes"] = -90
    data["rules"]["absence_notice_lead"]["days"] = -1
    assert problems_of(data) == [
        ("absence_notice_lead", "“days” must not be negative (got -1)."),
        ("meeting_duration_cap", "“minutes” must not be negative (got -90)."),
    ]


def test_zero_is_allowed_only_for_the_open_discussion_slot():
    data = base()
    data["rules"]["open_discussion_slot"]["minutes"] = 0
    assert load_rules(data).minutes("open_discussion_slot") == 0
    data["rules"]["default_item_budget"]["minutes"] = 0
    assert problems_of(data) == [("default_item_budget", "“minutes” must be greater than zero.")]


def test_absurdly_large_numbers():
    data = base()
    data["rules"]["absence_notice_lead"]["days"] = 3000
    assert problems_of(data) == [("absence_notice_lead", "“days” must be at most 366 (got 3000).")]


def test_missing_required_rules():
    data = base()
    del data["rules"]["agenda_cutoff"]
    del data["rules"]["minutes_deadline"]
    assert problems_of(data) == [
        ("agenda_cutoff", "The rule “agenda_cutoff” is required but missing."),
        ("minutes_deadline", "The rule “minutes_deadline” is required but missing."),
    ]


def test_optional_rules_may_be_left_out():
    data = base()
    for key in ("topic_window_opens", "head_review_cutoff", "absence_notice_lead", "decision_ack"):
        del data["rules"][key]
    assert load_rules(data).get("decision_ack") is None


def test_missing_or_empty_clause():
    data = base()
    del data["rules"]["submission_cutoff"]["clause"]
    data["rules"]["meeting_duration_cap"]["clause"] = "   "
    assert problems_of(data) == [
        ("submission_cutoff", "“clause” is required."),
        ("meeting_duration_cap", "“clause” must not be empty."),
    ]


def test_unknown_field_in_a_rule():
    data = base()
    data["rules"]["notice_lead"]["hours"] = 24
    assert problems_of(data) == [("notice_lead", "Unknown field “hours” in this rule.")]


def test_rule_that_is_not_a_table():
    data = base()
    data["rules"]["meeting_duration_cap"] = 90
    assert problems_of(data) == [
        ("meeting_duration_cap", "This rule must be a table ([rules.meeting_duration_cap]).")
    ]


def test_open_discussion_must_fit_in_the_meeting():
    data = base()
    data["rules"]["open_discussion_slot"]["minutes"] = 90
    assert problems_of(data) == [
        (
            "open_discussion_slot",
            "The open-discussion slot (90 min) must be shorter than the meeting (90 min).",
        )
    ]


def test_policy_header_problems():
    data = base()
    data["policy"]["key"] = "周例会"
    del data["policy"]["name"]
    data["policy"]["owner"] = "办公室"
    assert problems_of(data) == [
        ("policy", "Key “周例会” is not valid; use only letters, digits, hyphens and underscores."),
        ("policy", "“name” is required."),
        ("policy", "Unknown field “owner” in [policy]."),
    ]


def test_missing_sections():
    assert problems_of({"extra": 1}) == [
        ("file", "Unknown section “extra”; only [policy], [rules] and [clauses] are allowed."),
        ("policy", "The [policy] section is missing."),
        ("file", "The [rules] section is missing."),
    ]
    assert problems_of([]) == [("file", "A policy must be a table with [policy] and [rules] sections.")]


def test_toml_syntax_error():
    with pytest.raises(PolicyFileError) as caught:
        parse_policy('[policy]\nkey = "x\n')
    [(where, message)] = caught.value.problems
    assert where == "file"
    assert message.startswith("The file is not valid TOML: ")
    assert "line 2" in message


def test_all_problems_are_collected_at_once():
    data = base()
    data["rules"]["submission_cutoff"]["time"] = "25:00"
    data["rules"]["head_review_cutoff"]["weekday"] = "funday"
    data["rules"]["coffee_break"] = {"clause": "x", "minutes": 5}
    data["rules"]["notice_lead"]["kind"] = "fortnight_before"
    data["rules"]["meeting_duration_cap"]["minutes"] = "ninety"
    data["rules"]["decision_ack"]["minutes"] = -1
    del data["rules"]["agenda_cutoff"]
    del data["rules"]["minutes_deadline"]["clause"]
    text = dump_policy(load_preset("seed01-weekly"))  # a valid file, for comparison below
    assert parse_policy(text)
    with pytest.raises(PolicyFileError) as caught:
        load_rules(data)
    error = caught.value
    assert error.keys() == {
        "submission_cutoff",
        "head_review_cutoff",
        "coffee_break",
        "notice_lead",
        "meeting_duration_cap",
        "decision_ack",
        "agenda_cutoff",
        "minutes_deadline",
    }
    assert len(error.problems) == 8
    assert "submission_cutoff: Time “25:00” is not valid; use HH:MM." in str(error)


def test_parsed_rules_are_plain_values():
    rules = load_preset("seed01-weekly")
    assert isinstance(rules, PolicyRules)
    assert all(isinstance(v, Rule) for v in rules.rules.values())
    assert all(isinstance(message, str) for message in [rules.get("notice_lead").describe()])


def test_choice_rule_refuses_unknown_value_and_round_trips():
    text = dump_policy(load_preset("seed02-coordination"))
    assert 'value = "absolute"' in text
    assert parse_policy(text).choice("majority_method") == "absolute"
    with pytest.raises(PolicyFileError) as err:
        parse_policy(text.replace('value = "absolute"', 'value = "most"'))
    assert err.value.keys() == {"majority_method"}
    with pytest.raises(PolicyFileError) as err:
        parse_policy(text.replace("count = 50", "count = 150"))
    assert err.value.keys() == {"quorum_percent"}


# ---- amounts (seed 03's approval thresholds) ----------------------------------------------


def test_seed03_preset_leaves_the_regulations_blanks_blank():
    rules = load_preset("seed03-activity")
    assert rules.key == "activity-cooperation"
    assert rules.amount("approval_finance_threshold") is None
    assert rules.amount("approval_ceo_threshold") is None
    assert rules.blanks["approval_finance_threshold"].clause == "四、(一)"
    assert rules.get("approval_finance_threshold") is None  # to every reader, a rule not set
    assert rules.count("approval_step_days") == 2
    # An approvals regulation sets no meeting, so the meeting rules are not required of it.
    assert rules.get("submission_cutoff") is None
    with translation.override("en"):
        assert rules.blanks["approval_ceo_threshold"].describe() == "Blank in the regulation: to be filled in"


def test_an_amount_filled_in_is_read_back():
    data = copy.deepcopy(to_data(load_preset("seed03-activity")))
    assert data["rules"]["approval_finance_threshold"].pop("blank") is True
    data["rules"]["approval_finance_threshold"]["yuan"] = 10_000
    rules = load_rules(data)
    assert rules.amount("approval_finance_threshold") == 10_000
    assert to_data(rules)["rules"]["approval_finance_threshold"]["yuan"] == 10_000
    with translation.override("en"):
        assert rules.get("approval_finance_threshold").describe() == "From ¥10,000"


@pytest.mark.parametrize(
    ("yuan", "message"),
    [
        (None, "“yuan” is required for this rule."),
        (-5, "“yuan” must not be negative (got -5)."),
        (0, "“yuan” must be greater than zero."),
        ("1万", "“yuan” must be a whole number, not “1万”."),
    ],
)
def test_bad_amounts_are_refused(yuan, message):
    data = copy.deepcopy(to_data(load_preset("seed03-activity")))
    del data["rules"]["approval_finance_threshold"]["blank"]
    if yuan is not None:
        data["rules"]["approval_finance_threshold"]["yuan"] = yuan
    with translation.override("en"):
        assert problems_of(data) == [("approval_finance_threshold", message)]


def test_a_meeting_regulation_still_needs_its_meeting_rules_when_it_adds_amounts():
    data = base()
    del data["rules"]["agenda_cutoff"]
    data["rules"]["approval_finance_threshold"] = {"clause": "第五条(一)2", "yuan": 1000}
    with translation.override("en"):
        assert problems_of(data) == [("agenda_cutoff", "The rule “agenda_cutoff” is required but missing.")]


def test_a_blank_amount_has_no_yuan():
    data = copy.deepcopy(to_data(load_preset("seed03-activity")))
    data["rules"]["approval_finance_threshold"]["yuan"] = 10_000  # beside blank = true
    with translation.override("en"):
        assert problems_of(data) == [
            ("approval_finance_threshold", "A blank rule has no “yuan”: fill the value or remove “blank”.")
        ]

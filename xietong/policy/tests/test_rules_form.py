"""Changing the rules in a form (issue 10 point 11): one row per rule with its unit, clause and
the preset's value, a required reason, field-level errors; TOML import/export for
administrators; a rule the regulation leaves blank cannot take effect until filled."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from xietong.approvals import services as approval_services
from xietong.approvals.models import Approval
from xietong.desk.testing import build_test_org, make_person
from xietong.policy.calendar import SHANGHAI
from xietong.policy.forms import PolicyRulesForm
from xietong.policy.models import Policy, PolicyVersion
from xietong.policy.rules import PolicyFileError, dump_policy, parse_policy, to_data
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_install_preset, policy_version_create

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)

# A small regulation written for these tests: its text leaves the meeting's length and the
# leadership's approval time blank ("X 分钟", "X 个工作日"), and the agenda cut-off's time.
BLANK_PRESET = """
[policy]
key = "blank-test"
name = "留空测试制度"

[rules.submission_cutoff]
clause = "第二条"
kind = "working_days_before"
days = 3
time = "17:00"

[rules.agenda_cutoff]
clause = "第二条"
kind = "weekday_before"
blank = true

[rules.notice_lead]
clause = "第三条"
kind = "hours_before"
hours = 24

[rules.meeting_duration_cap]
clause = "第三条"
note = "单次会议不超过X分钟"
blank = true

[rules.open_discussion_slot]
clause = "第三条"
minutes = 0

[rules.default_item_budget]
clause = "第三条"
minutes = 15

[rules.minutes_deadline]
clause = "第四条"
minutes = 1440

[rules.leadership_approval_days]
clause = "第四条"
note = "领导小组X个工作日内作出决定"
blank = true

[clauses]
"第二条" = "议题"
"第三条" = "会议"
"第四条" = "会后"
"""


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param, now=NOW)


@pytest.fixture
def admin(org):
    person = make_person("admin", "管理员", org.departments["office"])
    person.is_superuser = person.is_staff = True
    person.save(update_fields=["is_superuser", "is_staff"])
    return person


def _zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def _post_form(client, policy: Policy, changes: dict[str, str], *, reason: str = "领导小组会议决定"):
    """Post the form as the page fills it, with ``changes`` typed over it."""
    url = reverse("policy:edit", args=[policy.key])
    assert client.get(url).status_code == 200
    current = current_version(policy)
    form = PolicyRulesForm(rules=current.rules, version=current.number)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "strftime"):
            value = value.strftime("%H:%M")
        data[name] = "" if value is None else str(value)
    data.update(changes)
    data["reason"] = reason
    return client.post(url, data)


# ---- the loader: blanks ------------------------------------------------------------------------


def test_a_blank_rule_is_known_but_not_set(db):
    rules = parse_policy(BLANK_PRESET)
    assert set(rules.blanks) == {"agenda_cutoff", "meeting_duration_cap", "leadership_approval_days"}
    # To every reader a blank rule is a rule not set.
    assert rules.get("meeting_duration_cap") is None and rules.count("leadership_approval_days") is None
    assert rules.blanks["agenda_cutoff"].kind == "weekday_before"
    # Written back and read again, the blanks stay blanks.
    again = parse_policy(dump_policy(rules))
    assert again == rules
    assert to_data(rules)["rules"]["meeting_duration_cap"] == {
        "clause": "第三条",
        "note": "单次会议不超过X分钟",
        "blank": True,
    }


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('clause = "第三条"\nblank = true\nminutes = 90', "no “minutes”"),
        ('clause = "第三条"\nblank = "yes"', "“blank” must be true"),
    ],
)
def test_a_blank_rule_with_a_value_or_a_bad_flag_is_refused(db, table, problem):
    text = BLANK_PRESET.replace('clause = "第三条"\nnote = "单次会议不超过X分钟"\nblank = true', table)
    with translation.override("en"), pytest.raises(PolicyFileError) as err:
        parse_policy(text)
    assert err.value.keys() == {"meeting_duration_cap"}
    assert problem in str(err.value)


def test_a_blank_deadline_needs_its_kind(db):
    text = BLANK_PRESET.replace('kind = "weekday_before"\nblank = true', "blank = true")
    with pytest.raises(PolicyFileError) as err:
        parse_policy(text)
    assert err.value.keys() == {"agenda_cutoff"}


def _blank_policy() -> Policy:
    rules = parse_policy(BLANK_PRESET)
    policy = Policy.objects.create(key=rules.key, name=rules.name)
    PolicyVersion.objects.create(policy=policy, number=1, data=to_data(rules), created_at=NOW, reason="预置")
    return policy


def test_a_version_with_a_blank_is_refused_rule_by_rule(org):
    policy = _blank_policy()
    with translation.override("zh-hans"), pytest.raises(PolicyFileError) as err:
        policy_version_create(policy=policy, actor=org.coordinator, now=NOW, reason="试", text=BLANK_PRESET)
    assert err.value.keys() == {"agenda_cutoff", "meeting_duration_cap", "leadership_approval_days"}
    assert "留空" in str(err.value)
    assert policy.versions.count() == 1


# ---- the form ---------------------------------------------------------------------------------


def test_the_form_shows_each_rule_with_its_unit_clause_and_preset_value(org, login):
    client = _zh(login(org.coordinator))
    response = client.get(reverse("policy:edit", args=[org.policy.key]))
    assert response.status_code == 200
    html = response.content.decode()
    rules = current_version(org.policy).rules
    cap = rules.get("meeting_duration_cap")
    assert 'name="meeting_duration_cap-minutes"' in html and f'value="{cap.minutes}"' in html
    assert "分钟" in html and cap.clause in html
    assert 'name="reason"' in html and 'name="notice_lead-' in html
    # The preset's value beside the rule (the form starts from it, so they agree).
    row = html.split('id="rule-meeting_duration_cap"')[1].split("</tr>")[0]
    with translation.override("zh-hans"):
        assert cap.describe() in row
    # Deadline units: working days / hours / weekday names, in Chinese.
    assert ("工作日" in html) or ("小时" in html)
    # No TOML for the coordinator.
    assert reverse("policy:import", args=[org.policy.key]) not in html


def _approve_draft(org, policy: Policy | None = None) -> None:
    """The leadership group approves the drafted version (issue 11 point 4): only then is it in force."""
    policy = policy or org.policy
    draft = policy.versions.get(status=PolicyVersion.Status.DRAFT)
    assert current_version(policy).number < draft.number  # not in force before the approval
    approval = Approval.objects.get(
        subject_type=ContentType.objects.get_for_model(PolicyVersion), subject_id=draft.pk
    )
    approval_services.approval_approve(approval=approval, actor=org.chair, now=timezone.now())


def test_saving_the_form_records_a_new_version(org, login):
    client = login(org.coordinator)
    response = _post_form(client, org.policy, {"meeting_duration_cap-minutes": "75"})
    assert response.status_code == 302
    _approve_draft(org)
    version = current_version(org.policy)
    assert version.number == 2 and version.reason == "领导小组会议决定"
    assert version.rules.minutes("meeting_duration_cap") == 75
    # Everything else as it was (clauses and notes included).
    before = org.policy.versions.get(number=1).data
    assert {k: v for k, v in version.data["rules"].items() if k != "meeting_duration_cap"} == {
        k: v for k, v in before["rules"].items() if k != "meeting_duration_cap"
    }


def test_the_leadership_group_may_change_the_rules(org, login):
    response = _post_form(login(org.chair), org.policy, {"minutes_deadline-minutes": "100"})
    assert response.status_code == 302
    _approve_draft(org)
    assert current_version(org.policy).rules.minutes("minutes_deadline") == 100


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"meeting_duration_cap-minutes": "-5"}, "meeting_duration_cap", "1"),
        ({"meeting_duration_cap-minutes": "abc"}, "meeting_duration_cap", "整数"),
        ({"meeting_duration_cap-minutes": ""}, "meeting_duration_cap", "请填写"),
        # The open-discussion slot must be shorter than the meeting (a check across rules).
        ({"open_discussion_slot-minutes": "500"}, "open_discussion_slot", "短于"),
    ],
)
def test_a_bad_value_is_refused_beside_its_rule_and_nothing_is_saved(org, login, changes, field, message):
    client = _zh(login(org.coordinator))
    response = _post_form(client, org.policy, changes)
    assert response.status_code == 200
    html = response.content.decode()
    errors = html.split(f'id="rule-{field}"')[1].split("</tr>")[0]
    assert 'class="error"' in errors and message in errors
    assert org.policy.versions.count() == 1


def test_the_reason_is_required(org, login):
    client = _zh(login(org.coordinator))
    response = _post_form(client, org.policy, {"meeting_duration_cap-minutes": "70"}, reason="")
    assert response.status_code == 200
    assert 'data-field="reason"' in response.content.decode()
    assert org.policy.versions.count() == 1


@pytest.mark.parametrize("persona", ["tech_liaison", "tech_head", "host", "outsider"])
def test_others_may_not_change_the_rules(org, login, persona):
    url = reverse("policy:edit", args=[org.policy.key])
    client = login(getattr(org, persona))
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert org.policy.versions.count() == 1


def test_toml_import_and_export_are_for_administrators(org, login, admin):
    imp = reverse("policy:import", args=[org.policy.key])
    exp = reverse("policy:export", args=[org.policy.key])
    for person in (org.coordinator, org.chair):
        client = login(person)
        assert client.get(imp).status_code == 403 and client.get(exp).status_code == 403
    client = login(admin)
    exported = client.get(exp)
    assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment")
    text = exported.content.decode().replace("minutes = 1440", "minutes = 1200")
    text = text.replace("minutes = 120\n", "minutes = 110\n")
    response = client.post(imp, {"text": text, "reason": "导入", "edit_version": 1})
    assert response.status_code == 302
    assert current_version(org.policy).number == 2
    detail = client.get(reverse("policy:detail") + f"?key={org.policy.key}").content.decode()
    assert imp in detail and exp in detail


# ---- a blank rule through the form ------------------------------------------------------------


def test_a_blank_rule_cannot_take_effect_until_filled(org, login):
    policy = _blank_policy()
    client = _zh(login(org.coordinator))
    page = client.get(reverse("policy:edit", args=[policy.key])).content.decode()
    assert "待填写" in page
    # Left blank: refused at each blank rule, nothing saved.
    response = _post_form(client, policy, {"meeting_duration_cap-minutes": "80"})
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("agenda_cutoff", "leadership_approval_days"):
        row = html.split(f'id="rule-{key}"')[1].split("</tr>")[0]
        assert "制度原文此处留空" in row and 'class="error"' in row
    assert 'class="error"' not in html.split('id="rule-meeting_duration_cap"')[1].split("</tr>")[0]
    assert policy.versions.count() == 1
    # A half-filled deadline is refused at its missing part.
    response = _post_form(
        client,
        policy,
        {
            "meeting_duration_cap-minutes": "80",
            "agenda_cutoff-weekday": "thu",
            "leadership_approval_days-count": "2",
        },
    )
    assert response.status_code == 200 and policy.versions.count() == 1
    # Filled: the version takes effect.
    response = _post_form(
        client,
        policy,
        {
            "meeting_duration_cap-minutes": "80",
            "agenda_cutoff-weekday": "thu",
            "agenda_cutoff-time": "17:00",
            "agenda_cutoff-if_closed": "earlier",
            "leadership_approval_days-count": "2",
        },
    )
    assert response.status_code == 302
    _approve_draft(org, policy)
    rules = current_version(policy).rules
    assert not rules.blanks
    assert rules.minutes("meeting_duration_cap") == 80 and rules.count("leadership_approval_days") == 2
    assert rules.get("agenda_cutoff").weekday == 3


def test_the_regulation_page_links_the_form_for_those_who_may_use_it(org, login, admin):
    edit = reverse("policy:edit", args=[org.policy.key])
    imp = reverse("policy:import", args=[org.policy.key])
    for person, sees_form, sees_files in (
        (org.coordinator, True, False),
        (org.chair, True, False),
        (org.tech_liaison, False, False),
        (admin, True, True),
    ):
        html = login(person).get(reverse("policy:detail")).content.decode()
        assert (edit in html) == sees_form and (imp in html) == sees_files


def test_a_stale_form_is_refused_and_shows_the_saved_value(org, login):
    first = login(org.coordinator)
    assert _post_form(first, org.policy, {"meeting_duration_cap-minutes": "70"}).status_code == 302
    # A second tab that started from version 1.
    form = PolicyRulesForm(rules=org.policy.versions.get(number=1).rules, version=1)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = (
            "" if value is None else (value.strftime("%H:%M") if hasattr(value, "strftime") else str(value))
        )
    data.update({"meeting_duration_cap-minutes": "65", "reason": "另一处修改"})
    response = _zh(login(org.chair)).post(reverse("policy:edit", args=[org.policy.key]), data)
    assert response.status_code == 409
    assert 'data-stale="1"' in response.content.decode()
    _approve_draft(org)
    assert current_version(org.policy).rules.minutes("meeting_duration_cap") == 70


def test_seed03s_blank_amounts_are_filled_in_the_form_in_yuan(db, login):
    """Seed 03 leaves its approval amounts blank ("X 万元"): the form offers them in 元, refuses a
    version that keeps them blank, and records the amounts once filled."""
    org = build_test_org(now=NOW)
    policy = policy_install_preset(name="seed03-activity", now=NOW)
    client = _zh(login(org.coordinator))
    page = client.get(reverse("policy:edit", args=[policy.key])).content.decode()
    assert 'name="approval_finance_threshold-yuan"' in page and "元" in page
    refused = _post_form(client, policy, {"approval_step_days-count": "3"})
    assert refused.status_code == 200 and policy.versions.count() == 1
    response = _post_form(
        client,
        policy,
        {"approval_finance_threshold-yuan": "10000", "approval_ceo_threshold-yuan": "-1"},
    )
    assert response.status_code == 200 and policy.versions.count() == 1
    response = _post_form(
        client,
        policy,
        {"approval_finance_threshold-yuan": "10000", "approval_ceo_threshold-yuan": "50000"},
    )
    assert response.status_code == 302
    _approve_draft(org, policy)
    rules = current_version(policy).rules
    assert rules.amount("approval_finance_threshold") == 10000
    assert rules.amount("approval_ceo_threshold") == 50000

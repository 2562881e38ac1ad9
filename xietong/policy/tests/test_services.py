"""Policy services: installing presets, new versions, and the calendar selector."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import translation

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.core.models import Event
from xietong.org.services import org_calendar_override_set
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import Policy, PolicyVersion
from xietong.policy.rules import PolicyFileError, dump_policy
from xietong.policy.selectors import business_calendar, current_version
from xietong.policy.services import policy_install_preset, policy_version_create

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def edited_text(policy: Policy, old: str = "minutes = 90", new: str = "minutes = 80") -> str:
    text = dump_policy(current_version(policy).rules)
    assert old in text
    return text.replace(old, new)


def snapshot():
    return (
        list(PolicyVersion.objects.order_by("id").values_list("policy_id", "number", "data")),
        Event.objects.count(),
    )


def test_install_preset_is_idempotent(db):
    policy = policy_install_preset(name="seed02-coordination", now=NOW)
    again = policy_install_preset(name="seed02-coordination", now=NOW)
    assert policy.pk == again.pk
    assert policy.versions.count() == 1
    assert Event.objects.filter(name="policy.installed").count() == 1


def test_coordinator_creates_a_version(torg):
    version = policy_version_create(
        policy=torg.policy,
        actor=torg.coordinator,
        now=NOW,
        reason="领导小组决定缩短会议",
        text=edited_text(torg.policy),
    )
    assert version.number == 2 and version.created_by == torg.coordinator and version.created_at == NOW
    assert current_version(torg.policy).rules.minutes("meeting_duration_cap") == 80
    # The earlier version is kept as it was.
    assert torg.policy.versions.get(number=1).rules.minutes("meeting_duration_cap") == 90
    event = events_for(torg.policy).get(name="policy.version_created")
    assert event.data == {"number": 2, "reason": "领导小组决定缩短会议"} and event.actor == torg.coordinator


def test_the_leadership_group_may_change_the_policy(torg):
    version = policy_version_create(
        policy=torg.policy, actor=torg.chair, now=NOW, reason="领导小组决定", text=edited_text(torg.policy)
    )
    assert version.number == 2 and version.created_by == torg.chair


@pytest.mark.parametrize("persona", ["tech_head", "tech_liaison", "outsider", "host"])
def test_others_may_not_change_the_policy(torg, persona):
    before = snapshot()
    with pytest.raises(Forbidden):
        policy_version_create(
            policy=torg.policy,
            actor=getattr(torg, persona),
            now=NOW,
            reason="x",
            text=edited_text(torg.policy),
        )
    assert snapshot() == before


def test_reason_required(torg):
    with pytest.raises(DomainError) as err:
        policy_version_create(
            policy=torg.policy, actor=torg.coordinator, now=NOW, reason="  ", text=edited_text(torg.policy)
        )
    assert (err.value.code, err.value.field) == ("reason_required", "reason")


def test_unchanged_text_refused(torg):
    text = dump_policy(current_version(torg.policy).rules)
    with pytest.raises(DomainError) as err:
        policy_version_create(policy=torg.policy, actor=torg.coordinator, now=NOW, reason="same", text=text)
    assert (err.value.code, err.value.field) == ("unchanged", "text")


def test_file_for_another_policy_refused(torg):
    other = policy_install_preset(name="seed02-coordination", now=NOW)
    text = dump_policy(current_version(other).rules)
    before = snapshot()
    with pytest.raises(DomainError) as err:
        policy_version_create(policy=torg.policy, actor=torg.coordinator, now=NOW, reason="x", text=text)
    assert err.value.code == "wrong_policy"
    assert snapshot() == before


def test_invalid_file_lists_every_problem_and_saves_nothing(torg):
    text = (
        edited_text(torg.policy)
        .replace("minutes = 80", "minutes = -5")
        .replace('weekday = "thu"', 'weekday = "xyz"', 1)
    )
    before = snapshot()
    with translation.override("en"), pytest.raises(PolicyFileError) as err:
        policy_version_create(policy=torg.policy, actor=torg.coordinator, now=NOW, reason="x", text=text)
    assert {"meeting_duration_cap", "topic_window_opens"} <= err.value.keys()
    assert snapshot() == before


def test_business_calendar_reads_the_organisations_own_days(torg):
    wednesday, saturday = date(2026, 3, 4), date(2026, 3, 7)
    org_calendar_override_set(day=wednesday, kind="closed", actor=torg.coordinator, now=NOW)
    org_calendar_override_set(day=saturday, kind="working", actor=torg.coordinator, now=NOW)
    cal = business_calendar()
    assert not cal.is_working_day(wednesday)
    assert cal.is_working_day(saturday)
    assert cal.is_working_day(date(2026, 3, 5))
    # The Spring Festival 2026 holiday comes from the official schedule.
    assert not cal.is_working_day(date(2026, 2, 17))

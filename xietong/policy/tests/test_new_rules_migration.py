"""Installed copies of the bundled regulations get the new rules (absence window after the
notice, whom a head may send, decisions without a vote) as a new version; scheduled meetings
keep theirs."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

import pytest
from django.apps import apps as django_apps

from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import load_preset
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_install_preset

pytestmark = pytest.mark.django_db

MIGRATION = import_module("xietong.policy.migrations.0004_absence_delegate_vote_rules")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("preset", ["seed01-weekly", "seed02-coordination"])
def test_an_installed_copy_gets_the_presets_new_rules_as_a_new_version(preset):
    policy = policy_install_preset(name=preset, now=NOW)
    old = current_version(policy)
    new_keys = set(MIGRATION.NEW_RULES[policy.key])
    data = old.data
    for key in new_keys:
        data["rules"].pop(key)
    PolicyVersion.objects.filter(pk=old.pk).update(data=data)

    MIGRATION.add_rules(django_apps, None)

    new = current_version(policy)
    assert new.number == old.number + 1
    shipped = load_preset(preset)
    for key in new_keys:
        assert new.rules.get(key) == shipped.get(key)  # the migration says what the preset says
        assert PolicyVersion.objects.get(pk=old.pk).rules.get(key) is None
    MIGRATION.add_rules(django_apps, None)  # once only
    assert current_version(policy).number == new.number

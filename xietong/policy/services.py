"""Writing policies: installing a preset, making a new version."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.optlock import require_current
from xietong.org.permissions import require, roles_of

from .models import Policy, PolicyVersion
from .rules import PolicyRules, load_preset, parse_policy, to_data


def policy_install_preset(*, name: str, now: datetime, actor=None) -> Policy:
    """Create (or return) the policy shipped as preset ``name``, as version 1.

    Installing the same preset twice changes nothing.
    """
    rules = load_preset(name)
    with transaction.atomic():
        policy, created = Policy.objects.get_or_create(
            key=rules.key, defaults={"name": rules.name, "source": rules.source}
        )
        if created or not policy.versions.exists():
            PolicyVersion.objects.create(
                policy=policy,
                number=1,
                data=to_data(rules),
                created_at=now,
                created_by=actor,
                reason=str(_("Installed from the preset %(name)s") % {"name": name}),
            )
            record_event(name="policy.installed", actor=actor, subject=policy, now=now, preset=name)
    return policy


def policy_version_create(
    *,
    policy: Policy,
    actor,
    now: datetime,
    reason: str,
    text: str | None = None,
    rules: PolicyRules | None = None,
    expected_version: int | None = None,
) -> PolicyVersion:
    """Record a new version of ``policy`` from TOML ``text`` (or parsed ``rules``).

    Only the coordinator may change a policy. An invalid file raises PolicyFileError
    naming each rule and its problem; nothing is saved. A reason is required. The
    policy key inside the file must match the policy being edited. ``expected_version`` (from
    the edit form) is the number of the version the editor started from: if a newer version
    was recorded in between, ``StaleEdit`` (code "stale") is raised and nothing is saved.
    """
    require(roles_of(actor).is_coordinator or actor.is_superuser)
    if not reason or not reason.strip():
        raise DomainError(_("Say why the regulation changes."), code="reason_required", field="reason")
    if rules is None:
        rules = parse_policy(text or "")
    if rules.key != policy.key:
        raise DomainError(
            _("This file is for the policy “%(key)s”, not “%(expected)s”."),
            code="wrong_policy",
            field="text",
            params={"key": rules.key, "expected": policy.key},
        )
    with transaction.atomic():
        locked = Policy.objects.select_for_update(of=("self",)).get(pk=policy.pk)
        last = locked.versions.order_by("-number").first()
        require_current(last.number if last else 0, expected_version)
        data = to_data(rules)
        if last is not None and last.data == data:
            raise DomainError(
                _("Nothing changed: this is the current version."), code="unchanged", field="text"
            )
        version = PolicyVersion.objects.create(
            policy=locked,
            number=(last.number + 1) if last else 1,
            data=data,
            created_at=now,
            created_by=actor,
            reason=reason.strip()[:300],
        )
        locked.name = rules.name
        locked.source = rules.source
        locked.save(update_fields=["name", "source"])
        record_event(
            name="policy.version_created",
            actor=actor,
            subject=locked,
            now=now,
            number=version.number,
            reason=version.reason,
        )
    return version

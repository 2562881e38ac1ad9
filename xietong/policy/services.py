"""Writing policies: installing a preset, making a new version."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.optlock import require_current
from xietong.org.models import Role
from xietong.org.permissions import require, roles_of
from xietong.org.services import can_manage_org

from .calendar import BusinessCalendar, as_shanghai
from .models import HolidaySchedule, Policy, PolicyVersion
from .rules import PolicyFileError, PolicyRules, load_preset, parse_policy, to_data


def can_change_policy(actor) -> bool:
    """The coordinator and the leadership group change the rules (in the form); administrators
    too (they also import and export the TOML file)."""
    if actor is None or not actor.is_authenticated:
        return False
    roles = roles_of(actor)
    return bool(actor.is_superuser or roles.is_coordinator or roles.has(Role.LEADERSHIP))


def can_use_policy_files(actor) -> bool:
    """Importing and exporting a policy as a TOML file is for administrators."""
    return bool(actor is not None and actor.is_authenticated and actor.is_superuser)


def blank_problems(rules: PolicyRules) -> list[tuple[str, str]]:
    """(rule key, message) for every rule the regulation leaves blank and nobody has filled."""
    return [
        (
            key,
            str(_("The regulation leaves this value blank: fill it in before the version can take effect.")),
        )
        for key in rules.blanks
    ]


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


def _check_new_version(*, policy: Policy, actor, reason: str, text: str | None, rules: PolicyRules | None):
    require(
        can_change_policy(actor), _("Only the coordinator or the leadership group may change the regulation.")
    )
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
    if rules.blanks:
        raise PolicyFileError(blank_problems(rules))
    return rules


def _new_version(
    *,
    policy: Policy,
    actor,
    now: datetime,
    reason: str,
    rules: PolicyRules,
    expected_version: int | None,
    status: str,
    effective_from: datetime | None,
) -> tuple[Policy, PolicyVersion]:
    locked = Policy.objects.select_for_update(of=("self",)).get(pk=policy.pk)
    last = locked.versions.order_by("-number").first()
    require_current(last.number if last else 0, expected_version)
    data = to_data(rules)
    kept = locked.versions.exclude(status=PolicyVersion.Status.REJECTED).order_by("-number").first()
    if kept is not None and kept.data == data:
        raise DomainError(_("Nothing changed: this is the current version."), code="unchanged", field="text")
    if locked.versions.filter(status=PolicyVersion.Status.DRAFT).exists():
        raise DomainError(
            _("A new version of this regulation already awaits the leadership group's approval."),
            code="draft_pending",
            field="reason",
        )
    version = PolicyVersion.objects.create(
        policy=locked,
        number=(last.number + 1) if last else 1,
        data=data,
        created_at=now,
        created_by=actor,
        reason=reason.strip()[:300],
        status=status,
        effective_from=effective_from,
    )
    return locked, version


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
    """Record a new version of ``policy`` from TOML ``text`` (or parsed ``rules``), in force at once.

    For an administrator's file import and for setting the organisation up; a change of the
    regulation in use is drafted (policy_version_draft) and approved by the leadership group.
    The coordinator, the leadership group and administrators may change a policy. An invalid
    file raises PolicyFileError naming each rule and its problem; nothing is saved. So does a
    version with a rule still blank (``blank = true``): it cannot take effect until filled. A reason is required. The
    policy key inside the file must match the policy being edited. ``expected_version`` (from
    the edit form) is the number of the version the editor started from: if a newer version
    was recorded in between, ``StaleEdit`` (code "stale") is raised and nothing is saved.
    Refused (code "draft_pending") while a drafted version awaits approval.
    """
    rules = _check_new_version(policy=policy, actor=actor, reason=reason, text=text, rules=rules)
    with transaction.atomic():
        locked, version = _new_version(
            policy=policy,
            actor=actor,
            now=now,
            reason=reason,
            rules=rules,
            expected_version=expected_version,
            status=PolicyVersion.Status.EFFECTIVE,
            effective_from=None,
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


def policy_version_draft(
    *,
    policy: Policy,
    actor,
    now: datetime,
    reason: str,
    effective_from: datetime | None = None,
    text: str | None = None,
    rules: PolicyRules | None = None,
    expected_version: int | None = None,
) -> PolicyVersion:
    """Draft a new version of ``policy``: it is not in force until the leadership group
    approves it (seed 01 第五条(一)5), and then from ``effective_from`` (from the approval when
    empty or already past). Refused as policy_version_create, and when ``effective_from`` is
    before ``now`` (field ``effective_from``). Records ``policy.version_drafted``, to which the
    approvals react by filing the approval (the draft is refused when nobody can approve it).
    """
    rules = _check_new_version(policy=policy, actor=actor, reason=reason, text=text, rules=rules)
    if effective_from is not None and effective_from < now:
        raise DomainError(
            _("Choose a moment from now on for the new version to take effect."),
            code="effective_in_past",
            field="effective_from",
        )
    with transaction.atomic():
        locked, version = _new_version(
            policy=policy,
            actor=actor,
            now=now,
            reason=reason,
            rules=rules,
            expected_version=expected_version,
            status=PolicyVersion.Status.DRAFT,
            effective_from=effective_from,
        )
        record_event(
            name="policy.version_drafted",
            actor=actor,
            subject=version,
            now=now,
            policy=locked.pk,
            number=version.number,
            reason=version.reason,
            effective_from=effective_from.isoformat() if effective_from else None,
        )
    return version


def _lock_draft(version: PolicyVersion) -> PolicyVersion:
    locked = PolicyVersion.objects.select_for_update(of=("self",)).select_related("policy").get(pk=version.pk)
    if locked.status != PolicyVersion.Status.DRAFT:
        raise DomainError(_("This version no longer awaits approval."), code="not_draft")
    return locked


def _require_leadership(actor, now: datetime) -> None:
    require(
        actor is not None and roles_of(actor, on=as_shanghai(now).date()).has(Role.LEADERSHIP),
        _("Only the leadership group may approve a change of the regulation."),
    )


def policy_version_make_effective(*, version: PolicyVersion, actor, now: datetime) -> PolicyVersion:
    """The leadership group approved the drafted ``version`` (through its approval): it takes
    effect at its chosen moment, or now when that has passed or none was chosen; duties opened
    before then keep the version they were computed under. Records ``policy.version_effective``."""
    _require_leadership(actor, now)
    with transaction.atomic():
        locked = _lock_draft(version)
        rules = locked.rules
        locked.status = PolicyVersion.Status.EFFECTIVE
        if locked.effective_from is None or locked.effective_from < now:
            locked.effective_from = now
        locked.save(update_fields=["status", "effective_from"])
        Policy.objects.filter(pk=locked.policy_id).update(name=rules.name, source=rules.source)
        record_event(
            name="policy.version_effective",
            actor=actor,
            subject=locked,
            now=now,
            number=locked.number,
            effective_from=locked.effective_from.isoformat(),
        )
    return locked


def policy_version_refuse(*, version: PolicyVersion, actor, now: datetime, reason: str) -> PolicyVersion:
    """The leadership group did not approve the drafted ``version``: it never takes effect.
    Records ``policy.version_rejected``."""
    _require_leadership(actor, now)
    with transaction.atomic():
        locked = _lock_draft(version)
        locked.status = PolicyVersion.Status.REJECTED
        locked.save(update_fields=["status"])
        record_event(
            name="policy.version_rejected",
            actor=actor,
            subject=locked,
            now=now,
            number=locked.number,
            reason=reason,
        )
    return locked


# ---- a coming year's holiday schedule ----------------------------------------------------------

MAX_HOLIDAY_DAYS = 31  # one break; the longest (Spring Festival, National Day) is 8–9 days
MAX_HOLIDAY_NAME = 30
MAX_SCHEDULE_SOURCE = 200


def holiday_schedule_enter(
    *,
    year: int,
    holidays: list[tuple[date, date, str]],
    working_days: list[tuple[date, str]],
    actor,
    now: datetime,
    source: str = "",
) -> HolidaySchedule:
    """Record the State Council's holiday schedule of ``year``, which the calendar library does
    not know yet: its holidays (first day, last day, name) and its 调休 working days.

    Preconditions: the coordinator or an administrator (else Forbidden); a year from 2000 to
    2100 the library does not know (else DomainError); at least one holiday; every day in
    ``year``; no two holidays overlapping; a working day neither in a holiday nor given twice;
    each holiday named and at most 31 days long. Entering a year again replaces its schedule
    (a new row; the latest applies).
    Event: ``calendar.schedule_entered`` on the schedule with the year and the counts; the ledger
    reacts by recomputing the open deadlines that were computed without the schedule.
    """
    require(can_manage_org(actor), _("Only the coordinator may enter the holiday schedule."))
    _check_schedule(year, holidays, working_days)
    source = (source or "").strip()[:MAX_SCHEDULE_SOURCE]
    with transaction.atomic():
        schedule = HolidaySchedule.objects.create(
            year=year,
            holidays=[[a.isoformat(), b.isoformat(), name.strip()] for a, b, name in sorted(holidays)],
            working_days=[[d.isoformat(), (name or "").strip()] for d, name in sorted(working_days)],
            entered_at=now,
            entered_by=actor if actor is not None and actor.pk else None,
            source=source,
        )
        record_event(
            name="calendar.schedule_entered",
            actor=actor,
            subject=schedule,
            now=now,
            year=year,
            holidays=len(holidays),
            working_days=len(working_days),
        )
    return schedule


def _check_schedule(
    year: int, holidays: list[tuple[date, date, str]], working_days: list[tuple[date, str]]
) -> None:
    _check_year(year)
    _check_holidays(year, holidays)
    _check_working_days(year, holidays, working_days)


def _check_year(year: int) -> None:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError(_("Choose a year between 2000 and 2100."), code="bad_year", field="year")
    # Any day of the year tells whether the library knows it.
    if BusinessCalendar().is_published(year):
        raise DomainError(
            _("The official schedule of %(year)s is already known; it cannot be entered by hand."),
            code="published",
            field="year",
            params={"year": year},
        )


def _check_holidays(year: int, holidays: list[tuple[date, date, str]]) -> None:
    if not holidays:
        raise DomainError(_("Enter at least one holiday."), code="no_holidays", field="holidays")
    for first, last, name in holidays:
        where = {"first": first.isoformat(), "last": last.isoformat()}
        if first.year != year or last.year != year:
            raise DomainError(
                _("%(first)s – %(last)s is not in %(year)s."),
                code="wrong_year",
                field="holidays",
                params={**where, "year": year},
            )
        if last < first:
            raise DomainError(
                _("%(first)s – %(last)s ends before it begins."),
                code="bad_range",
                field="holidays",
                params=where,
            )
        if (last - first).days + 1 > MAX_HOLIDAY_DAYS:
            raise DomainError(
                _("%(first)s – %(last)s is longer than %(max)s days."),
                code="too_long",
                field="holidays",
                params={**where, "max": MAX_HOLIDAY_DAYS},
            )
        if not (name or "").strip() or len(name.strip()) > MAX_HOLIDAY_NAME:
            raise DomainError(
                _("Name the holiday %(first)s – %(last)s (at most %(max)s characters)."),
                code="bad_name",
                field="holidays",
                params={**where, "max": MAX_HOLIDAY_NAME},
            )
    ordered = sorted(holidays)
    for (a1, b1, n1), (a2, b2, n2) in zip(ordered, ordered[1:], strict=False):
        if a2 <= b1:
            raise DomainError(
                _("%(one)s and %(other)s overlap."),
                code="overlap",
                field="holidays",
                params={
                    "one": f"{n1} {a1.isoformat()} – {b1.isoformat()}",
                    "other": f"{n2} {a2.isoformat()} – {b2.isoformat()}",
                },
            )


def _check_working_days(
    year: int, holidays: list[tuple[date, date, str]], working_days: list[tuple[date, str]]
) -> None:
    seen: set[date] = set()
    for day, name in working_days:
        if day.year != year:
            raise DomainError(
                _("%(day)s is not in %(year)s."),
                code="wrong_year",
                field="working_days",
                params={"day": day.isoformat(), "year": year},
            )
        if day in seen:
            raise DomainError(
                _("%(day)s is given twice."),
                code="duplicate",
                field="working_days",
                params={"day": day.isoformat()},
            )
        seen.add(day)
        if len((name or "").strip()) > MAX_HOLIDAY_NAME:
            raise DomainError(
                _("The note of %(day)s is too long (at most %(max)s characters)."),
                code="bad_name",
                field="working_days",
                params={"day": day.isoformat(), "max": MAX_HOLIDAY_NAME},
            )
        for first, last, holiday in holidays:
            if first <= day <= last:
                raise DomainError(
                    _("%(day)s is a working day and also inside the holiday %(name)s."),
                    code="overlap",
                    field="working_days",
                    params={"day": day.isoformat(), "name": holiday},
                )

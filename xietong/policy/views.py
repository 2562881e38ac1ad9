"""Policy pages: the regulation as configured, its versions, editing it, the business calendar."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date

from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_form
from xietong.core.optlock import StaleEdit
from xietong.core.params import parse_int
from xietong.org.permissions import require
from xietong.org.services import can_manage_org, org_calendar_override_set

from .calendar import DayInfo
from .forms import CalendarOverrideForm, HolidayScheduleForm, PolicyEditForm, PolicyRulesForm, schedule_text
from .labels import HOLIDAY_NAMES
from .models import Policy, PolicyVersion
from .rules import RULE_LABELS, PolicyFileError, dump_policy, preset_for_key
from .selectors import business_calendar, latest_schedule
from .services import (
    can_change_policy,
    can_use_policy_files,
    holiday_schedule_enter,
    policy_version_create,
    policy_version_draft,
)

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class RuleRow:
    key: str
    label: str
    value: str | None  # None: the regulation does not set this rule
    clause: str
    note: str
    blank: bool = False  # the regulation leaves the value blank and nobody has filled it


def _rule_rows(version: PolicyVersion) -> tuple[list[RuleRow], list[tuple[str, str]]]:
    """The version's rules in the house order (unset optional rules included), or its problems."""
    try:
        rules = version.rules
    except PolicyFileError as err:
        return [], [(_where_label(where), message) for where, message in err.problems]
    rows = []
    for key in RULE_LABELS:
        rule = rules.get(key)
        blank = rules.blanks.get(key)
        if blank is not None:
            rows.append(RuleRow(key, blank.label, blank.describe(), blank.clause, blank.note, blank=True))
        elif rule is None:
            rows.append(RuleRow(key, str(RULE_LABELS[key]), None, "", ""))
        else:
            rows.append(RuleRow(key, rule.label, rule.describe(), rule.clause, rule.note))
    return rows, []


def _where_label(where: str) -> str:
    if where in RULE_LABELS:
        return f"{RULE_LABELS[where]} ({where})"
    if where == "policy":
        return _("Policy header")
    if where == "file":
        return _("File")
    return where


@login_required
@require_GET
def policy_detail(request):
    """/policy/: the one policy directly; with several, a list (and ?key= for one of them)."""
    policies = list(Policy.objects.annotate(latest=Max("versions__number")).order_by("name", "id"))
    key = request.GET.get("key")
    if key:
        policy = next((p for p in policies if p.key == key), None)
        if policy is None:
            raise Http404
    elif len(policies) == 1:
        policy = policies[0]
    else:
        return render(request, "policy/list.html", {"policies": policies})
    versions = list(policy.versions.select_related("created_by").order_by("-number"))
    if not versions:
        raise Http404
    now = timezone.now()
    # The version in force now: drafts and versions effective later are listed, not shown.
    current = next(
        (
            v
            for v in versions
            if v.status == PolicyVersion.Status.EFFECTIVE
            and (v.effective_from is None or v.effective_from <= now)
        ),
        versions[-1],
    )
    rows, problems = _rule_rows(current)
    return render(
        request,
        "policy/detail.html",
        {
            "policy": policy,
            "version": current,
            "versions": versions,
            "rows": rows,
            "problems": problems,
            "several": len(policies) > 1,
            "can_edit": can_change_policy(request.user),
            "can_use_files": can_use_policy_files(request.user),
        },
    )


@login_required
@require_GET
def policy_version(request, key: str, number: int):
    version = get_object_or_404(
        PolicyVersion.objects.select_related("policy", "created_by"), policy__key=key, number=number
    )
    latest = version.policy.versions.aggregate(latest=Max("number"))["latest"]
    rows, problems = _rule_rows(version)
    return render(
        request,
        "policy/version.html",
        {"policy": version.policy, "version": version, "latest": latest, "rows": rows, "problems": problems},
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, key: str):
    """The coordinator or the leadership group change the rules in a form: one row per rule with
    its clause, note and the preset's value, and the reason; saving records a new version."""
    policy = get_object_or_404(Policy, key=key)
    require(
        can_change_policy(request.user),
        _("Only the coordinator or the leadership group may change the regulation."),
    )
    current = policy.versions.order_by("-number").first()
    if current is None:
        raise Http404
    try:
        rules = current.rules
    except PolicyFileError:
        rules = None  # an unreadable version: only a file import can repair it
    preset = preset_for_key(policy.key)

    def page(form, *, version: PolicyVersion = current, status: int = 200):
        context = {
            "policy": policy,
            "version": version,
            "form": form,
            "can_use_files": can_use_policy_files(request.user),
        }
        return render(request, "policy/edit_form.html", context, status=status)

    if rules is None:
        return page(None)
    if request.method != "POST":
        return page(PolicyRulesForm(rules=rules, preset=preset, version=current.number))
    form = PolicyRulesForm(request.POST, rules=rules, preset=preset)

    def stale(err: StaleEdit):
        latest = policy.versions.order_by("-number").first()
        form.mark_stale(err, saved=PolicyRulesForm(rules=latest.rules, preset=preset))
        return page(form, version=latest, status=409)

    def save(data, **who):
        try:
            return policy_version_draft(
                policy=policy,
                reason=data["reason"],
                rules=data["rules"],
                effective_from=data.get("effective_from"),
                expected_version=form.expected_version,
                **who,
            )
        except PolicyFileError as err:
            form.add_problems(err.problems)
            raise _Refused from None

    try:
        return submit_form(
            request,
            form,
            save,
            success=lambda version: (
                _("Version %(number)s drafted: it takes effect once the leadership group approves it.")
                % {"number": version.number}
            ),
            redirect_to=reverse("policy:detail") + "?" + urlencode({"key": policy.key}),
            invalid=lambda status: page(form, status=status),
            status=200,
            stale=stale,
        )
    except _Refused:
        return page(form)


class _Refused(Exception):
    """The rules were refused rule by rule; the errors are on the form."""


@login_required
@require_GET
def policy_export(request, key: str):
    """The current version as a TOML file, for administrators."""
    policy = get_object_or_404(Policy, key=key)
    require(can_use_policy_files(request.user), _("Only an administrator may export a policy file."))
    current = policy.versions.order_by("-number").first()
    if current is None:
        raise Http404
    response = HttpResponse(_policy_text(current), content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{policy.key}-v{current.number}.toml"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def policy_import(request, key: str):
    """An administrator records a new version from TOML (edited here, or an uploaded file)."""
    policy = get_object_or_404(Policy, key=key)
    require(can_use_policy_files(request.user), _("Only an administrator may import a policy file."))
    current = policy.versions.order_by("-number").first()
    if current is None:
        raise Http404
    if request.method == "POST":
        form = PolicyEditForm(request.POST, request.FILES)

        def render_edit(status: int, *, version: PolicyVersion = current, problems=()):
            return render(
                request,
                "policy/edit.html",
                {"policy": policy, "version": version, "form": form, "problems": list(problems)},
                status=status,
            )

        def stale(err: StaleEdit):
            latest = policy.versions.order_by("-number").first()
            form.mark_stale(err, saved=PolicyEditForm(initial={"text": _policy_text(latest)}))
            return render_edit(409, version=latest)

        try:
            return submit_form(
                request,
                form,
                lambda data, **who: policy_version_create(
                    policy=policy,
                    reason=data["reason"],
                    text=data["text"],
                    expected_version=form.expected_version,
                    **who,
                ),
                success=lambda version: _("Version %(number)s saved.") % {"number": version.number},
                redirect_to=reverse("policy:detail") + "?" + urlencode({"key": policy.key}),
                invalid=render_edit,
                status=200,
                stale=stale,
            )
        except PolicyFileError as err:
            return render_edit(
                200, problems=[(_where_label(where), message) for where, message in err.problems]
            )
    form = PolicyEditForm(initial={"text": _policy_text(current)}, version=current.number)
    return render(
        request,
        "policy/edit.html",
        {"policy": policy, "version": current, "form": form, "problems": []},
    )


def _policy_text(version: PolicyVersion) -> str:
    try:
        return dump_policy(version.rules)
    except PolicyFileError:
        return ""


# ---- the business calendar -------------------------------------------------------------


@dataclass(frozen=True)
class DayCell:
    day: date
    info: DayInfo
    in_month: bool
    override: str | None  # "closed" | "working" | None
    holiday: str  # translated holiday name, or ""
    is_today: bool


def _int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    value = parse_int(request.GET.get(name))
    return default if value is None else min(max(value, lo), hi)


def _calendar_context(request, *, year: int, month: int, form: CalendarOverrideForm | None) -> dict:
    cal = business_calendar()
    today = timezone.localdate()
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for d in week:
            info = cal.day(d)
            override = "closed" if d in cal.extra_closed else "working" if d in cal.extra_working else None
            name = str(HOLIDAY_NAMES.get(info.holiday_name, info.holiday_name or ""))
            row.append(DayCell(d, info, d.month == month, override, name, d == today))
        weeks.append(row)
    first = date(year, month, 1)
    prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    overrides = sorted(
        [(d, "closed") for d in cal.extra_closed if d.year == year]
        + [(d, "working") for d in cal.extra_working if d.year == year]
    )
    can_edit = can_manage_org(request.user)
    if form is None and can_edit:
        form = CalendarOverrideForm(initial={"day": first})
    return {
        "year": year,
        "month": month,
        "weeks": weeks,
        "weekday_names": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "published": cal.is_published(year),
        "entered": latest_schedule(year) if cal.is_entered(year) else None,
        "special_days": [
            c
            for week in weeks
            for c in week
            if c.in_month and (c.holiday or c.override or c.info.kind == "adjusted_workday")
        ],
        "overrides": overrides,
        "prev": prev_month if prev_month[0] >= MIN_YEAR else None,
        "next": next_month if next_month[0] <= MAX_YEAR else None,
        "today": today,
        "can_edit": can_edit,
        "form": form if can_edit else None,
    }


@login_required
@require_GET
def business_calendar_view(request):
    today = timezone.localdate()
    year = _int_param(request, "year", today.year, MIN_YEAR, MAX_YEAR)
    month = _int_param(request, "month", today.month if year == today.year else 1, 1, 12)
    return render(
        request, "policy/calendar.html", _calendar_context(request, year=year, month=month, form=None)
    )


@login_required
@require_POST
def calendar_override(request):
    """The coordinator marks a day closed or working for the organisation (or clears it)."""
    require(can_manage_org(request.user), _("Only the coordinator may change the organisation's calendar."))
    form = CalendarOverrideForm(request.POST)
    chosen: list[date] = []  # the day of a valid form, kept when a refusal takes it off the form

    def override(data, **who):
        chosen.append(data["day"])
        return org_calendar_override_set(day=data["day"], kind=data["kind"], **who)

    def render_calendar(status: int):
        day = chosen[0] if chosen else timezone.localdate()
        year = min(max(day.year, MIN_YEAR), MAX_YEAR)
        context = _calendar_context(request, year=year, month=day.month, form=form)
        return render(request, "policy/calendar.html", context, status=status)

    return submit_form(
        request,
        form,
        override,
        success=_("Calendar updated."),
        redirect_to=lambda _result: (
            reverse("policy:calendar") + "?" + urlencode({"year": chosen[0].year, "month": chosen[0].month})
        ),
        invalid=render_calendar,
        status=200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def holiday_schedule(request, year: int):
    """The coordinator enters the State Council's schedule of a year the calendar library does
    not know yet, in one form; the open deadlines in it are then computed again."""
    require(can_manage_org(request.user), _("Only the coordinator may enter the holiday schedule."))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    cal = business_calendar()
    known = cal.is_published(year) and not cal.is_entered(year)
    previous = latest_schedule(year) if cal.is_entered(year) else None
    if request.method == "POST":
        form = HolidayScheduleForm(request.POST)
    else:
        form = HolidayScheduleForm(initial=schedule_text(previous) if previous else None)

    def page(status: int = 200):
        context = {"year": year, "form": form, "known": known, "previous": previous}
        return render(request, "policy/holiday_schedule.html", context, status=status)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: holiday_schedule_enter(
            year=year,
            holidays=data["holidays"],
            working_days=data["working_days"],
            source=data["source"],
            **who,
        ),
        success=_("The holiday schedule of %(year)s is saved; deadlines in it are computed again.")
        % {"year": year},
        redirect_to=reverse("policy:calendar") + "?" + urlencode({"year": year, "month": 1}),
        invalid=page,
        status=200,
    )

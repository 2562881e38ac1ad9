from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core import uploads
from xietong.core.errors import DomainError
from xietong.core.forms import IsoDateInput
from xietong.core.optlock import VersionedForm

from .rules import (
    AMOUNT,
    CHOICE,
    CHOICE_NAMES,
    CHOICE_VALUES,
    COUNT,
    DURATION,
    DUTY,
    MAX_COUNT,
    MAX_DAYS,
    MAX_HOURS,
    MAX_MINUTES,
    MAX_YUAN,
    RULE_ORDER,
    WEEKDAY_NAMES,
    WEEKDAYS,
    PolicyFileError,
    PolicyRules,
    Rule,
    load_rules,
    to_data,
)

MAX_POLICY_BYTES = 256 * 1024
MAX_POLICY_TEXT = 100_000


class PolicyEditForm(VersionedForm):
    """A new version of a policy: the TOML text (or an uploaded .toml file, which wins) and why.

    Its edit version is the number of the version the coordinator started from.
    """

    text = forms.CharField(
        label=_("Rules (TOML)"),
        required=False,
        strip=False,
        max_length=MAX_POLICY_TEXT,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "style": "font-family: monospace"}),
    )
    upload = forms.FileField(
        label=_("Or upload a .toml file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".toml"}),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Shown in the version history, e.g. the decision that changed the regulation."),
    )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        if not (upload.name or "").lower().endswith(".toml"):
            raise forms.ValidationError(_("Upload a .toml file."))
        if upload.size > MAX_POLICY_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 256 KB)."))
        try:
            uploads.check_content(upload, name=upload.name)
        except DomainError as err:
            raise forms.ValidationError(str(err), code=err.code) from None
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def clean(self):
        data = super().clean()
        uploaded = data.get("upload")
        if uploaded:
            data["text"] = uploaded
        elif (
            not (data.get("text") or "").strip() and "text" not in self.errors and "upload" not in self.errors
        ):
            self.add_error("text", _("Paste the rules or upload a file."))
        return data


class CalendarOverrideForm(forms.Form):
    KIND_CHOICES = [
        ("closed", _("Closed (an extra day off)")),
        ("working", _("Working day")),
        ("none", _("As the official calendar says")),
    ]

    day = forms.DateField(label=_("Day"), widget=IsoDateInput)
    kind = forms.ChoiceField(label=_("This day is"), choices=KIND_CHOICES)


# ---- the rules as a form ------------------------------------------------------------------

UNIT_MINUTES = pgettext_lazy("unit", "minutes")
UNIT_HOURS = pgettext_lazy("unit", "hours")
UNIT_WORKING_DAYS = pgettext_lazy("unit", "working days")
UNIT_CLOCK = pgettext_lazy("unit", "HH:MM")
UNIT_PERCENT = pgettext_lazy("unit", "percent")
UNIT_PEOPLE = pgettext_lazy("unit", "people")
UNIT_VOTES = pgettext_lazy("unit", "votes")
UNIT_TIMES = pgettext_lazy("unit", "times")
UNIT_YUAN = pgettext_lazy("unit", "yuan")
COUNT_UNITS = {
    "attendee_cap": UNIT_PEOPLE,
    "min_agree_votes": UNIT_VOTES,
    "quorum_percent": UNIT_PERCENT,
    "warning_lead_days": UNIT_WORKING_DAYS,
    "escalation_misses": UNIT_TIMES,
    "leadership_approval_days": UNIT_WORKING_DAYS,
}
IF_CLOSED_NAMES = [
    ("earlier", _("If a holiday: the working day before")),
    ("later", _("If a holiday: the working day after")),
]
# Durations that may be zero ("no open-discussion slot"); the same as the file's rule.
_ZERO_ALLOWED = frozenset({"open_discussion_slot", "signin_link_grace"})
_INVALID_NUMBER = _("Enter a whole number.")


def _number(unit, *, minimum: int, maximum: int) -> forms.IntegerField:
    return forms.IntegerField(
        required=False,
        min_value=minimum,
        max_value=maximum,
        label=unit,
        error_messages={"invalid": _INVALID_NUMBER},
        widget=forms.NumberInput(attrs={"class": "narrow", "inputmode": "numeric"}),
    )


def _clock(*, label=UNIT_CLOCK) -> forms.TimeField:
    return forms.TimeField(
        required=False,
        label=label,
        input_formats=["%H:%M"],
        error_messages={"invalid": _("Enter a time as HH:MM, e.g. 15:00.")},
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "class": "narrow"}),
    )


def _fields_of(rule: Rule) -> dict[str, forms.Field]:
    """The inputs of one rule, by part name; empty for a rule without a value."""
    if rule.kind == "weekday_before":
        return {
            "weekday": forms.ChoiceField(
                required=False,
                label=_("Weekday"),
                choices=[("", "—"), *((w, WEEKDAY_NAMES[i]) for i, w in enumerate(WEEKDAYS))],
            ),
            "time": _clock(),
            "if_closed": forms.ChoiceField(required=False, label=_("Holiday"), choices=IF_CLOSED_NAMES),
        }
    if rule.kind == "hours_before":
        return {"hours": _number(UNIT_HOURS, minimum=1, maximum=MAX_HOURS)}
    if rule.kind == "working_days_before":
        return {"days": _number(UNIT_WORKING_DAYS, minimum=1, maximum=MAX_DAYS), "time": _clock()}
    if rule.kind == DURATION:
        minimum = 0 if rule.key in _ZERO_ALLOWED else 1
        return {"minutes": _number(UNIT_MINUTES, minimum=minimum, maximum=MAX_MINUTES)}
    if rule.kind == COUNT:
        maximum = 100 if rule.key == "quorum_percent" else MAX_COUNT
        return {"count": _number(COUNT_UNITS.get(rule.key, ""), minimum=1, maximum=maximum)}
    if rule.kind == CHOICE:
        choices = [("", "—"), *((v, CHOICE_NAMES[rule.key][v]) for v in CHOICE_VALUES[rule.key])]
        return {"value": forms.ChoiceField(required=False, label=_("Choice"), choices=choices)}
    if rule.kind == AMOUNT:
        return {"yuan": _number(UNIT_YUAN, minimum=1, maximum=MAX_YUAN)}
    assert rule.kind == DUTY
    return {}


def _initial_of(rule: Rule) -> dict[str, Any]:
    if rule.blank:
        return {"if_closed": "earlier"}
    values: dict[str, Any] = {
        "weekday": WEEKDAYS[rule.weekday] if rule.weekday is not None else None,
        "time": rule.at,
        "if_closed": rule.if_closed,
        "hours": rule.hours,
        "days": rule.days,
        "minutes": rule.minutes,
        "count": rule.count,
        "value": rule.value,
        "yuan": rule.yuan,
    }
    return {k: v for k, v in values.items() if v is not None}


# Parts a rule cannot do without (the others are optional: a working-day deadline's time).
_OPTIONAL_PARTS = {("working_days_before", "time")}


@dataclass
class RuleRow:
    """One rule of the form: its inputs, the preset's value beside them, clause and note."""

    rule: Rule
    fields: list[forms.BoundField]
    preset: str | None  # the preset's description; None when the preset does not set it
    errors: list[str]

    @property
    def key(self) -> str:
        return self.rule.key


class PolicyRulesForm(VersionedForm):
    """A new version of a policy from its rules, one row per rule, and the reason.

    Each rule keeps its kind, clause and note; only its values change (a change of kind is
    an administrator's TOML edit). A rule the regulation leaves blank stays blank while its
    inputs are empty, and the new version is then refused at that rule.
    """

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Shown in the version history, e.g. the decision that changed the regulation."),
        error_messages={"required": _("Say why the regulation changes.")},
        widget=forms.TextInput(attrs={"class": "wide"}),
    )

    effective_from = forms.DateTimeField(
        label=_("Takes effect"),
        required=False,
        help_text=_(
            "The new version takes effect once the leadership group approves it: at this moment, "
            "or at the approval when left empty."
        ),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, rules: PolicyRules, preset: PolicyRules | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.preset = preset
        self.parts: dict[str, dict[str, str]] = {}  # rule key -> part -> field name
        for key in RULE_ORDER:
            rule = rules.rules.get(key) or rules.blanks.get(key)
            if rule is None:
                continue
            initial = _initial_of(rule)
            self.parts[key] = {}
            for part, field in _fields_of(rule).items():
                name = f"{key}-{part}"
                self.fields[name] = field
                self.parts[key][part] = name
                if part in initial:
                    self.initial[name] = initial[part]
        # The moment of effect and the reason last, after the rules.
        self.fields["effective_from"] = self.fields.pop("effective_from")
        self.fields["reason"] = self.fields.pop("reason")

    def first_field(self, key: str) -> str | None:
        names = list(self.parts.get(key, {}).values())
        return names[0] if names else None

    def rows(self) -> list[RuleRow]:
        out = []
        for key, parts in self.parts.items():
            rule = self.rules.rules.get(key) or self.rules.blanks[key]
            bound = [self[name] for name in parts.values()]
            preset_rule = self.preset.get(key) if self.preset is not None else None
            if preset_rule is None and self.preset is not None and key in self.preset.blanks:
                preset_rule = self.preset.blanks[key]
            errors = [str(e) for b in bound for e in b.errors]
            out.append(RuleRow(rule, bound, preset_rule.describe() if preset_rule else None, errors))
        return out

    def _rule_table(self, rule: Rule) -> dict[str, Any] | None:
        """The rule's table as the file writes it, with the posted values; None when a required
        part is missing (the error is added)."""
        table = copy.deepcopy(to_data_rule(rule))
        parts = self.parts[rule.key]
        values = {part: self.cleaned_data.get(name) for part, name in parts.items()}
        filled = {part: v for part, v in values.items() if v not in (None, "")}
        if not parts:
            return table
        meaningful = {p for p in filled if p != "if_closed"}
        if rule.blank and not meaningful:
            return table  # still blank: the service refuses it at this rule
        missing = [
            part
            for part in parts
            if part not in filled and (rule.kind, part) not in _OPTIONAL_PARTS and part != "if_closed"
        ]
        if missing:
            for part in missing:
                if parts[part] not in self.errors:
                    self.add_error(parts[part], _("Enter a value."))
            return None
        for field in (
            "weekday",
            "time",
            "if_closed",
            "hours",
            "days",
            "minutes",
            "count",
            "value",
            "yuan",
            "blank",
        ):
            table.pop(field, None)
        for part, value in filled.items():
            table[part] = value.strftime("%H:%M") if part == "time" else value
        if rule.kind == "weekday_before":
            table.setdefault("if_closed", "earlier")
        return table

    def clean(self):
        data = super().clean()
        if any(name not in ("reason", "effective_from") and name in self.errors for name in self.fields):
            return data
        tables: dict[str, Any] = {}
        for key in self.parts:
            rule = self.rules.rules.get(key) or self.rules.blanks[key]
            table = self._rule_table(rule)
            if table is not None:
                tables[key] = table
        if len(tables) < len(self.parts):
            return data
        policy = to_data(self.rules)
        policy["rules"] = tables
        try:
            data["rules"] = load_rules(policy)
        except PolicyFileError as err:
            self.add_problems(err.problems)
        return data

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        """Each problem at the first input of its rule (the form's own error otherwise)."""
        for where, message in problems:
            name = self.first_field(where)
            self.add_error(name if name in self.fields else None, message)


def to_data_rule(rule: Rule) -> dict[str, Any]:
    """One rule's table as the policy file writes it."""
    fake = PolicyRules(key="", name="", source="", rules={} if rule.blank else {rule.key: rule})
    if rule.blank:
        fake.blanks[rule.key] = rule
    return to_data(fake)["rules"][rule.key]


# ---- a coming year's holiday schedule ---------------------------------------------------------

_DATE = r"\d{4}-\d{1,2}-\d{1,2}"
_HOLIDAY_LINE = re.compile(
    rf"^(?P<first>{_DATE})(?:\s*(?:~|～|至|到|—|–|--?)\s*(?P<last>{_DATE}))?(?:\s+(?P<name>.+?))?\s*$"
)
_WORKING_LINE = re.compile(rf"^(?P<day>{_DATE})(?:\s+(?P<name>.+?))?\s*$")
MAX_SCHEDULE_LINES = 60


def _iso(text: str, line: int) -> date:
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise forms.ValidationError(
            _("Line %(line)s: %(value)s is not a date."), params={"line": line, "value": text}
        ) from None


def _lines(text: str) -> list[tuple[int, str]]:
    rows = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1) if line.strip()]
    if len(rows) > MAX_SCHEDULE_LINES:
        raise forms.ValidationError(_("At most %(max)s lines."), params={"max": MAX_SCHEDULE_LINES})
    return rows


class HolidayScheduleForm(forms.Form):
    """One year's schedule as the State Council's notice gives it: one holiday per line
    (first day, last day, name) and one 调休 working day per line."""

    holidays = forms.CharField(
        label=_("Holidays (放假)"),
        strip=False,
        max_length=5000,
        help_text=_(
            "One per line: first day ~ last day, then the name, e.g. “2027-02-05 ~ 2027-02-11 春节”."
        ),
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false"}),
        error_messages={"required": _("Enter at least one holiday.")},
    )
    working_days = forms.CharField(
        label=_("Adjusted working days (调休上班)"),
        required=False,
        strip=False,
        max_length=3000,
        help_text=_("One per line: the day, then what it makes up for, e.g. “2027-02-14 春节调休”."),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    source = forms.CharField(
        label=_("Source notice"),
        required=False,
        max_length=200,
        help_text=_("E.g. 国务院办公厅关于2027年部分节假日安排的通知."),
    )

    def clean_holidays(self) -> list[tuple[date, date, str]]:
        out = []
        for n, line in _lines(self.cleaned_data.get("holidays", "")):
            match = _HOLIDAY_LINE.match(line)
            if match is None:
                raise forms.ValidationError(
                    _("Line %(line)s: write the first day, “~”, the last day and the name."),
                    params={"line": n},
                )
            if not match["name"]:
                raise forms.ValidationError(_("Line %(line)s: name the holiday."), params={"line": n})
            first = _iso(match["first"], n)
            last = _iso(match["last"], n) if match["last"] else first
            out.append((first, last, match["name"]))
        if not out:
            raise forms.ValidationError(_("Enter at least one holiday."))
        return out

    def clean_working_days(self) -> list[tuple[date, str]]:
        out = []
        for n, line in _lines(self.cleaned_data.get("working_days", "")):
            match = _WORKING_LINE.match(line)
            if match is None:
                raise forms.ValidationError(
                    _("Line %(line)s: write one day, then what it makes up for."), params={"line": n}
                )
            out.append((_iso(match["day"], n), match["name"] or ""))
        return out


def schedule_text(schedule) -> dict[str, str]:
    """A stored schedule as the form's text (to correct it)."""
    holidays = "\n".join(f"{a} ~ {b} {name}" if a != b else f"{a} {name}" for a, b, name in schedule.holidays)
    working = "\n".join(f"{d} {name}".strip() for d, name in schedule.working_days)
    return {"holidays": holidays, "working_days": working, "source": schedule.source}

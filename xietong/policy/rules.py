"""A regulation (制度) as data: the deadlines, durations and counts it sets, each citing its clause.

A policy file is TOML; the same shape, as a dict, is what the database stores as JSON. Parsing
validates everything and reports *all* problems at once in PolicyFileError, so an
administrator uploading a file fixes it in one pass.

A rule whose number the regulation's text leaves blank ("X 小时", "X 万元") is written with
``blank = true`` and no value (a deadline keeps its ``kind``). It loads, lands in
``PolicyRules.blanks`` (never in ``rules``: to every reader it is a rule not set), and a new
version that still has one is refused at that rule until someone fills it in.

Only ``django.utils.translation`` is used from Django, and only lazily: importing this module
needs no settings. Problem messages and ``Rule.describe()`` are rendered when created, in the
active language, so those paths do need Django settings (they always have them in the app).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .calendar import BusinessCalendar, CalendarResult, as_shanghai

__all__ = [
    "AMOUNT_KEYS",
    "CHOICE_KEYS",
    "DUTY_KEYS",
    "COUNT_KEYS",
    "DEADLINE_KEYS",
    "DEADLINE_KINDS",
    "DURATION_KEYS",
    "PRESETS_DIR",
    "REQUIRED_KEYS",
    "RULE_LABELS",
    "PolicyFileError",
    "PolicyRules",
    "Rule",
    "clause_citations",
    "dump_policy",
    "load_preset",
    "load_rules",
    "parse_policy",
    "preset_for_key",
    "preset_names",
    "to_data",
]

DEADLINE_KINDS = ("weekday_before", "hours_before", "working_days_before")
DURATION = "duration"
COUNT = "count"
CHOICE = "choice"
DUTY = "duty"
AMOUNT = "amount"

# Rule key -> required?  The order here is the order of dump_policy and of settings pages.
DEADLINE_KEYS: dict[str, bool] = {
    "topic_window_opens": False,
    "topic_window_closes": False,
    "head_review_cutoff": False,
    "submission_cutoff": True,
    "agenda_cutoff": True,
    "notice_lead": True,
    "absence_notice_lead": False,
    "progress_report_cutoff": False,
}
DURATION_KEYS: dict[str, bool] = {
    "meeting_duration_cap": True,
    "open_discussion_slot": True,
    "default_item_budget": True,
    "minutes_deadline": True,
    "speaking_limit": False,
    "decision_ack": False,
    "warning_lead_short": False,
    "reminder_first": False,
    "reminder_second": False,
    "signin_link_grace": False,
    "absence_notice_after_notice": False,
    "request_response": False,
}
COUNT_KEYS: dict[str, bool] = {
    "attendee_cap": False,
    "min_agree_votes": False,
    "quorum_percent": False,
    "warning_lead_days": False,
    "escalation_misses": False,
    "leadership_approval_days": False,
    "approval_step_days": False,
}
# Rule key -> the values it may take (the first is the default when the rule is absent).
CHOICE_VALUES: dict[str, tuple[str, ...]] = {
    "majority_method": ("simple", "absolute", "two_thirds", "unanimous"),
    # Whom a department head who cannot attend may send: the deputy or the liaison only, or
    # also anyone else of the department.
    "delegate_scope": ("deputy_or_liaison", "department"),
    # A decision recorded without a passed vote: allowed, refused, or recorded and marked
    # "未经表决" with the host's reason.
    "decision_vote": ("not_required", "refuse", "mark_unvoted"),
    # Who leads an emergency decision (紧急决策, the "director"): the leadership group's chair,
    # any member of the leadership group, or the coordinator.
    "emergency_lead": ("chair", "leadership", "coordinator"),
    # How a request's response time is counted: clock hours, or working hours of the calendar.
    "request_response_clock": ("calendar", "working"),
}
CHOICE_KEYS: dict[str, bool] = {
    "majority_method": False,
    "delegate_scope": False,
    "decision_vote": False,
    "emergency_lead": False,
    "request_response_clock": False,
}
# Duties whose deadline is set case by case (a decision names its own), so the rule carries only
# the clause the ledger files them under.
DUTY_KEYS: dict[str, bool] = {"action_due": False, "request_delivery": False}
# Amounts in whole 元 (approval thresholds). A regulation that leaves the amount blank ("X 万元")
# writes the rule ``blank = true``; whatever depends on it refuses to run until it is filled.
AMOUNT_KEYS: dict[str, bool] = {"approval_finance_threshold": False, "approval_ceo_threshold": False}
# Rules of an approvals regulation (its amounts, its step time and the ledger's warnings and
# reminders): a regulation holding only these sets no meeting, so the meeting rules required of a
# meeting regulation are not asked of it.
APPROVAL_KEYS: frozenset[str] = frozenset(
    {
        *AMOUNT_KEYS,
        "approval_step_days",
        "warning_lead_short",
        "reminder_first",
        "reminder_second",
        "emergency_lead",
    }
)
# Rules of a cross-department requests regulation (response time and how it is counted): like an
# approvals regulation, it sets no meeting.
REQUEST_KEYS: frozenset[str] = frozenset(
    {
        "request_response",
        "request_response_clock",
        "request_delivery",
        "warning_lead_short",
        "reminder_first",
        "reminder_second",
    }
)
RULE_ORDER: tuple[str, ...] = (
    *DEADLINE_KEYS,
    *DURATION_KEYS,
    *COUNT_KEYS,
    *CHOICE_KEYS,
    *DUTY_KEYS,
    *AMOUNT_KEYS,
)
REQUIRED_KEYS: frozenset[str] = frozenset(
    k
    for group in (DEADLINE_KEYS, DURATION_KEYS, COUNT_KEYS, CHOICE_KEYS, DUTY_KEYS, AMOUNT_KEYS)
    for k, required in group.items()
    if required
)
# Counts that are percentages.
_PERCENT_KEYS = frozenset({"quorum_percent"})
# Durations that may be zero ("no open-discussion slot"); all others must be positive.
_ZERO_ALLOWED = frozenset({"open_discussion_slot", "signin_link_grace"})

RULE_LABELS: dict[str, Any] = {
    "topic_window_opens": _("Topic submission window opens"),
    "topic_window_closes": _("Topic submission window closes"),
    "head_review_cutoff": _("Department head review cut-off"),
    "submission_cutoff": _("Liaison submission cut-off"),
    "agenda_cutoff": _("Agenda cut-off"),
    "notice_lead": _("Meeting notice lead time"),
    "absence_notice_lead": _("Absence notice lead time"),
    "meeting_duration_cap": _("Meeting duration cap"),
    "open_discussion_slot": _("Open-discussion slot"),
    "default_item_budget": _("Default time per agenda item"),
    "minutes_deadline": _("Minutes due after the meeting"),
    "speaking_limit": _("Speaking time per person"),
    "decision_ack": _("Decisions passed on after the meeting"),
    "attendee_cap": _("Attendee cap"),
    "min_agree_votes": _("Votes needed to agree"),
    "progress_report_cutoff": _("Progress report cut-off"),
    "warning_lead_short": _("Yellow warning before a short deadline"),
    "reminder_first": _("First reminder before a deadline"),
    "reminder_second": _("Second reminder before a deadline"),
    "quorum_percent": _("Quorum"),
    "warning_lead_days": _("Yellow warning before a deadline"),
    "escalation_misses": _("Consecutive misses before escalation"),
    "leadership_approval_days": _("Leadership approval time"),
    "majority_method": _("Majority needed for a decision"),
    "signin_link_grace": _("Personal sign-in links valid after the meeting"),
    "action_due": _("Action items done by the deadline of their decision"),
    "approval_finance_threshold": _("Amount from which finance takes part in an approval"),
    "approval_ceo_threshold": _("Amount from which the CEO approves"),
    "approval_step_days": _("Time for one approval step"),
    "absence_notice_after_notice": _("Least time to send word of an absence after the notice"),
    "delegate_scope": _("Whom a department head may send in their place"),
    "decision_vote": _("Decisions without a passed vote"),
    "emergency_lead": _("Who leads emergency decisions"),
    "request_response": _("Response time for a cross-department request"),
    "request_response_clock": _("How a request's response time is counted"),
    "request_delivery": _("Accepted requests delivered by the committed date"),
}

MAJORITY_METHOD_NAMES: dict[str, Any] = {
    "simple": _("Simple majority of votes cast"),
    "absolute": _("Absolute majority of those present"),
    "two_thirds": _("Two-thirds of votes cast"),
    "unanimous": _("Unanimity"),
}

DELEGATE_SCOPE_NAMES: dict[str, Any] = {
    "deputy_or_liaison": _("The deputy or the liaison"),
    "department": _("The deputy, the liaison or anyone of the department"),
}

DECISION_VOTE_NAMES: dict[str, Any] = {
    "not_required": _("No vote required"),
    "refuse": _("Refused: a decision needs a passed vote"),
    "mark_unvoted": _("Recorded as not voted on, with the host's reason"),
}

EMERGENCY_LEAD_NAMES: dict[str, Any] = {
    "chair": _("The chair of the leadership group"),
    "leadership": _("Any member of the leadership group"),
    "coordinator": _("The coordinator"),
}

REQUEST_RESPONSE_CLOCK_NAMES: dict[str, Any] = {
    "calendar": _("In clock hours"),
    "working": _("In working hours of the business calendar"),
}

CHOICE_NAMES: dict[str, dict[str, Any]] = {
    "majority_method": MAJORITY_METHOD_NAMES,
    "delegate_scope": DELEGATE_SCOPE_NAMES,
    "decision_vote": DECISION_VOTE_NAMES,
    "emergency_lead": EMERGENCY_LEAD_NAMES,
    "request_response_clock": REQUEST_RESPONSE_CLOCK_NAMES,
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
IF_CLOSED = ("earlier", "later")

# Upper bounds keep a typo ("days = 3000") from sending the calendar on a years-long walk.
MAX_HOURS = 24 * 366
MAX_DAYS = 366
MAX_MINUTES = 60 * 24 * 366
MAX_COUNT = 10_000
MAX_YUAN = 10**12
# Field lengths of xietong.policy.models.Policy.
MAX_POLICY_KEY = 60
MAX_POLICY_NAME = 100
MAX_POLICY_SOURCE = 200
MAX_CLAUSE_NAME = 200

PRESETS_DIR = Path(__file__).resolve().parent / "presets"

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

# A clause id as the regulations number them: 第五条, 第五条(二), 第五条(二)1, 第六条1 (articles),
# or 二、, 二、(一), 二、(一)4 (sections of a guide). Sub-sections use ASCII brackets; full-width
# brackets (…) hold remarks. A 《title》 in a citation names another document: the ids after it,
# up to the next "；", are that document's.
_NUMERAL = "[一二三四五六七八九十百]+"
_CLAUSE_ID = rf"第{_NUMERAL}条(?:\({_NUMERAL}\))?\d*|{_NUMERAL}、(?:\({_NUMERAL}\))?\d*"
_CLAUSE_ID_RE = re.compile(_CLAUSE_ID)
_CITATION_RE = re.compile(rf"《(?P<document>[^》]+)》|(?P<clause>{_CLAUSE_ID})")
ORGANISATION_SUPPLEMENT = "本组织补充"


def clause_citations(text: str) -> list[tuple[str, str]]:
    """(document, clause id) for every clause ``text`` cites, in order; document is "" for the
    policy's own regulation, else the title inside 《》.

    >>> clause_citations("第五条(一)4；参照《某规范》四、(三)")
    [('', '第五条(一)4'), ('某规范', '四、(三)')]
    """
    out = []
    for part in text.split("；"):
        document = ""
        for match in _CITATION_RE.finditer(part):
            if match["document"] is not None:
                document = match["document"]
            else:
                out.append((document, match["clause"]))
    return out


class PolicyFileError(Exception):
    """A policy file or dict that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{where}: {message}" for where, message in self.problems))

    def keys(self) -> set[str]:
        """The rule keys (or "policy" / "file") that have at least one problem."""
        return {where for where, _message in self.problems}


@dataclass(frozen=True)
class Rule:
    key: str
    clause: str
    note: str
    kind: str  # one of DEADLINE_KINDS, or "duration" / "count"
    minutes: int | None = None
    count: int | None = None
    weekday: int | None = None  # 0 = Monday
    at: time | None = None
    if_closed: str | None = None
    hours: int | None = None
    days: int | None = None
    value: str | None = None  # choice rules
    yuan: int | None = None  # amount rules, in whole 元
    # The regulation leaves this value blank ("X 小时"): the rule is known, its number is not.
    # A blank rule is kept apart from the set rules (PolicyRules.blanks) until someone fills it.
    blank: bool = False

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self.key])

    @property
    def is_deadline(self) -> bool:
        return self.kind in DEADLINE_KINDS

    def describe(self) -> str:
        """A short description in the active language, e.g. "会议前最近的周四 15:00（遇节假日提前）"."""
        if self.blank:
            return str(_("Blank in the regulation: to be filled in"))
        if self.kind == "weekday_before":
            assert self.weekday is not None and self.at is not None
            params = {"weekday": WEEKDAY_NAMES[self.weekday], "time": _hhmm(self.at)}
            if self.if_closed == "later":
                return str(_("%(weekday)s before the meeting, %(time)s (moved later if a holiday)") % params)
            return str(_("%(weekday)s before the meeting, %(time)s (moved earlier if a holiday)") % params)
        if self.kind == "hours_before":
            return str(
                ngettext_lazy(
                    "%(hours)s hour before the meeting starts",
                    "%(hours)s hours before the meeting starts",
                    self.hours,
                )
                % {"hours": self.hours}
            )
        if self.kind == "working_days_before":
            if self.at is None:
                return str(
                    ngettext_lazy(
                        "%(days)s working day before the meeting, at its start time",
                        "%(days)s working days before the meeting, at its start time",
                        self.days,
                    )
                    % {"days": self.days}
                )
            return str(
                ngettext_lazy(
                    "%(days)s working day before the meeting, %(time)s",
                    "%(days)s working days before the meeting, %(time)s",
                    self.days,
                )
                % {"days": self.days, "time": _hhmm(self.at)}
            )
        if self.kind == DURATION:
            return str(_DURATION_TEXTS.get(self.key, _DURATION_TEXT) % {"minutes": self.minutes})
        if self.kind == CHOICE:
            assert self.value is not None
            return str(CHOICE_NAMES[self.key][self.value])
        if self.kind == DUTY:
            if self.key == "request_delivery":
                return str(_("By the date the receiving department committed to"))
            return str(_("By the deadline the decision sets"))
        if self.kind == AMOUNT:
            return str(_("From ¥%(yuan)s") % {"yuan": f"{self.yuan:,}"})
        return str(_COUNT_TEXTS[self.key] % {"count": self.count})


# Lazy plurals: the form is picked from the "minutes"/"count" value when the text is rendered.
_DURATION_TEXT = ngettext_lazy("%(minutes)s minute", "%(minutes)s minutes", "minutes")
_DURATION_TEXTS: dict[str, Any] = {
    "meeting_duration_cap": ngettext_lazy(
        "At most %(minutes)s minute", "At most %(minutes)s minutes", "minutes"
    ),
    "open_discussion_slot": ngettext_lazy(
        "%(minutes)s minute for open discussion", "%(minutes)s minutes for open discussion", "minutes"
    ),
    "default_item_budget": ngettext_lazy(
        "%(minutes)s minute per agenda item", "%(minutes)s minutes per agenda item", "minutes"
    ),
    "minutes_deadline": ngettext_lazy(
        "Within %(minutes)s minute after the meeting ends",
        "Within %(minutes)s minutes after the meeting ends",
        "minutes",
    ),
    "speaking_limit": ngettext_lazy(
        "At most %(minutes)s minute per speaker", "At most %(minutes)s minutes per speaker", "minutes"
    ),
    "decision_ack": ngettext_lazy(
        "Within %(minutes)s minute after the meeting",
        "Within %(minutes)s minutes after the meeting",
        "minutes",
    ),
    "warning_lead_short": ngettext_lazy(
        "Yellow %(minutes)s minute before a deadline shorter than the working-day lead",
        "Yellow %(minutes)s minutes before a deadline shorter than the working-day lead",
        "minutes",
    ),
    "reminder_first": ngettext_lazy(
        "Remind %(minutes)s minute before the deadline",
        "Remind %(minutes)s minutes before the deadline",
        "minutes",
    ),
    "reminder_second": ngettext_lazy(
        "Remind again %(minutes)s minute before the deadline",
        "Remind again %(minutes)s minutes before the deadline",
        "minutes",
    ),
    "absence_notice_after_notice": ngettext_lazy(
        "At least %(minutes)s minute after the notice is sent",
        "At least %(minutes)s minutes after the notice is sent",
        "minutes",
    ),
    "signin_link_grace": ngettext_lazy(
        "Until %(minutes)s minute after the scheduled end",
        "Until %(minutes)s minutes after the scheduled end",
        "minutes",
    ),
    "request_response": ngettext_lazy(
        "Respond within %(minutes)s minute of the request",
        "Respond within %(minutes)s minutes of the request",
        "minutes",
    ),
}
_COUNT_TEXTS: dict[str, Any] = {
    "attendee_cap": ngettext_lazy("At most %(count)s attendee", "At most %(count)s attendees", "count"),
    "min_agree_votes": ngettext_lazy(
        "At least %(count)s vote in favour", "At least %(count)s votes in favour", "count"
    ),
    "quorum_percent": _("At least %(count)s%% of the voters present"),
    "warning_lead_days": ngettext_lazy(
        "Yellow %(count)s working day before the deadline",
        "Yellow %(count)s working days before the deadline",
        "count",
    ),
    "escalation_misses": ngettext_lazy(
        "To the leadership group after %(count)s consecutive miss",
        "To the leadership group after %(count)s consecutive misses",
        "count",
    ),
    "leadership_approval_days": ngettext_lazy(
        "Leadership decides within %(count)s working day",
        "Leadership decides within %(count)s working days",
        "count",
    ),
    "approval_step_days": ngettext_lazy(
        "Each approval step within %(count)s working day",
        "Each approval step within %(count)s working days",
        "count",
    ),
}


@dataclass(frozen=True)
class PolicyRules:
    key: str
    name: str
    source: str
    rules: dict[str, Rule]
    # The regulation's clauses, id -> short name (e.g. "第五条(二)3" -> "会议记录员职责"); empty
    # when the policy does not list them (its citations are then not checked).
    clauses: dict[str, str] = dataclasses.field(default_factory=dict)
    # Rules the regulation names but leaves blank ("X 小时"), in house order. They are not in
    # ``rules``: to every reader a blank rule is a rule not set. A version with any is refused.
    blanks: dict[str, Rule] = dataclasses.field(default_factory=dict)

    def clause_name(self, clause_id: str) -> str:
        return self.clauses.get(clause_id, "")

    def get(self, key: str) -> Rule | None:
        return self.rules.get(key)

    def count(self, key: str, default: int | None = None) -> int | None:
        """A count rule's value, or ``default`` when the policy does not set it."""
        rule = self.rules.get(key)
        return default if rule is None else rule.count

    def amount(self, key: str) -> int | None:
        """An amount rule's yuan; None when the rule is absent or left blank (``blanks``)."""
        rule = self.rules.get(key)
        return None if rule is None else rule.yuan

    def choice(self, key: str) -> str:
        """A choice rule's value; the first allowed value when the policy does not set it."""
        rule = self.rules.get(key)
        return CHOICE_VALUES[key][0] if rule is None or rule.value is None else rule.value

    def minutes(self, key: str) -> int:
        """A duration rule's minutes; KeyError if the policy does not set it."""
        rule = self.rules[key]
        if rule.minutes is None:
            raise ValueError(f"rule {key!r} is a {rule.kind} rule, not a duration")
        return rule.minutes

    def deadline(
        self, key: str, meeting_start: datetime, calendar: BusinessCalendar
    ) -> CalendarResult | None:
        """When deadline rule `key` falls for a meeting starting at `meeting_start`; None if not set.

        hours_before counts plain clock hours (a notice may go out on a Sunday); the result still
        carries the unpublished flag of the years between it and the meeting.
        """
        rule = self.rules.get(key)
        if rule is None:
            return None
        if rule.kind == "weekday_before":
            assert rule.weekday is not None and rule.at is not None and rule.if_closed is not None
            return calendar.weekday_cutoff_before(meeting_start, rule.weekday, rule.at, rule.if_closed)
        if rule.kind == "hours_before":
            assert rule.hours is not None
            local = as_shanghai(meeting_start)
            value = local - timedelta(hours=rule.hours)
            return CalendarResult(value, calendar.unpublished_between(value.date(), local.date()))
        if rule.kind == "working_days_before":
            assert rule.days is not None
            return calendar.working_days_before(meeting_start, rule.days, rule.at)
        raise ValueError(f"rule {key!r} is a {rule.kind} rule, not a deadline")


# ---- validation ------------------------------------------------------------------------


def _hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _msg(message: Any, **params: Any) -> str:
    """Render a lazy message now, in the active language."""
    return str(message % params) if params else str(message)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, where: str, message: Any, **params: Any) -> None:
        self.problems.append((where, _msg(message, **params)))

    def only_kind(self, where: str, kind: Any, expected: str) -> None:
        """A rule of one kind may name it or leave it out; any other kind is refused."""
        if kind is not None and kind != expected:
            self.add(
                where,
                _("Kind “%(value)s” is not valid for this rule; use “%(kind)s” or leave it out."),
                value=kind,
                kind=expected,
            )

    def text(
        self, where: str, table: dict, field: str, *, required: bool, max_length: int | None = None
    ) -> str:
        value = table.get(field)
        if value is None:
            if required:
                self.add(where, _("“%(field)s” is required."), field=field)
            return ""
        if not isinstance(value, str):
            self.add(where, _("“%(field)s” must be text."), field=field)
            return ""
        value = value.strip()
        if required and not value:
            self.add(where, _("“%(field)s” must not be empty."), field=field)
        if max_length is not None and len(value) > max_length:
            self.add(
                where,
                _("“%(field)s” is too long (%(length)s characters; at most %(max)s)."),
                field=field,
                length=len(value),
                max=max_length,
            )
        return value

    def integer(self, where: str, table: dict, field: str, *, minimum: int, maximum: int) -> int | None:
        value = table.get(field)
        if value is None:
            self.add(where, _("“%(field)s” is required for this rule."), field=field)
            return None
        # bool is an int in Python; "minutes = true" is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                where, _("“%(field)s” must be a whole number, not “%(value)s”."), field=field, value=value
            )
            return None
        if value < 0:
            self.add(where, _("“%(field)s” must not be negative (got %(value)s)."), field=field, value=value)
            return None
        if value < minimum:
            self.add(where, _("“%(field)s” must be greater than zero."), field=field)
            return None
        if value > maximum:
            self.add(
                where,
                _("“%(field)s” must be at most %(max)s (got %(value)s)."),
                field=field,
                max=maximum,
                value=value,
            )
            return None
        return value

    def clock(self, where: str, table: dict, field: str, *, required: bool) -> time | None:
        value = table.get(field)
        if value is None:
            if required:
                self.add(where, _("“%(field)s” is required for this rule."), field=field)
            return None
        # TOML has a native local-time type (time = 15:00:00); accept it as well as "15:00".
        if isinstance(value, time) and value.tzinfo is None and not value.second and not value.microsecond:
            return value
        if isinstance(value, str):
            match = _HHMM.match(value.strip())
            if match:
                hour, minute = int(match[1]), int(match[2])
                if hour < 24 and minute < 60:
                    return time(hour, minute)
        self.add(where, _("Time “%(value)s” is not valid; use HH:MM."), value=value)
        return None

    def unknown_fields(self, where: str, table: dict, allowed: set[str]) -> None:
        for field in table:
            if field not in allowed:
                self.add(where, _("Unknown field “%(field)s” in this rule."), field=field)


_COMMON_FIELDS = {"clause", "note", "kind"}


def _check_rule(check: _Checker, key: str, table: Any) -> Rule | None:
    if not isinstance(table, dict):
        check.add(key, _("This rule must be a table ([rules.%(key)s])."), key=key)
        return None
    before = len(check.problems)
    clause = check.text(key, table, "clause", required=True)
    note = check.text(key, table, "note", required=False)
    kind: Any = table.get("kind")  # as written in the file: checked below
    fields: dict[str, Any] | None

    blank = table.get("blank", False)
    if blank is not False:
        return _check_blank(check, key, table, kind, clause, note, before)
    if key in DEADLINE_KEYS:
        fields = _deadline_fields(check, key, table, kind)
        if fields is None:
            return None
    elif key in DURATION_KEYS:
        fields, kind = _duration_fields(check, key, table, kind), DURATION
    elif key in CHOICE_KEYS:
        fields, kind = _choice_fields(check, key, table, kind), CHOICE
    elif key in DUTY_KEYS:
        check.only_kind(key, kind, DUTY)
        check.unknown_fields(key, table, _COMMON_FIELDS)
        fields, kind = {}, DUTY
    elif key in AMOUNT_KEYS:
        check.only_kind(key, kind, AMOUNT)
        check.unknown_fields(key, table, _COMMON_FIELDS | {"yuan"})
        yuan = check.integer(key, table, "yuan", minimum=1, maximum=MAX_YUAN)
        fields, kind = {"yuan": yuan}, AMOUNT
    else:
        fields, kind = _count_fields(check, key, table, kind), COUNT

    if len(check.problems) > before:
        return None
    return Rule(key=key, clause=clause, note=note, kind=kind, **fields)


# The value fields of each kind of rule: a blank rule has none of them.
_VALUE_FIELDS = {"weekday", "time", "if_closed", "hours", "days", "minutes", "count", "value", "yuan"}


def _check_blank(
    check: _Checker, key: str, table: dict, kind: Any, clause: str, note: str, before: int
) -> Rule | None:
    """A rule written ``blank = true``: its clause and (for a deadline) its kind, no value."""
    if table["blank"] is not True:
        check.add(key, _("“blank” must be true or left out."))
        return None
    if key in DUTY_KEYS:
        check.add(key, _("This rule has no value, so it cannot be blank."))
        return None
    if key in DEADLINE_KEYS:
        if kind not in DEADLINE_KINDS:
            check.add(
                key,
                _("A blank deadline still needs its “kind”; use one of: %(choices)s."),
                choices=", ".join(DEADLINE_KINDS),
            )
    else:
        implied = (
            DURATION
            if key in DURATION_KEYS
            else CHOICE
            if key in CHOICE_KEYS
            else AMOUNT
            if key in AMOUNT_KEYS
            else COUNT
        )
        check.only_kind(key, kind, implied)
        kind = implied
    for field in table:
        if field in _VALUE_FIELDS:
            check.add(
                key, _("A blank rule has no “%(field)s”: fill the value or remove “blank”."), field=field
            )
    check.unknown_fields(key, table, _COMMON_FIELDS | _VALUE_FIELDS | {"blank"})
    if len(check.problems) > before:
        return None
    return Rule(key=key, clause=clause, note=note, kind=kind, blank=True)


def _deadline_fields(check: _Checker, key: str, table: dict, kind: Any) -> dict[str, Any] | None:
    """The fields of a deadline rule of ``kind``; None when the kind itself is missing or wrong."""
    if kind is None or kind not in DEADLINE_KINDS:
        if kind is None:
            check.add(
                key, _("“kind” is required; use one of: %(choices)s."), choices=", ".join(DEADLINE_KINDS)
            )
        else:
            check.add(
                key,
                _("Kind “%(value)s” is not valid for this rule; use one of: %(choices)s."),
                value=kind,
                choices=", ".join(DEADLINE_KINDS),
            )
        check.unknown_fields(key, table, _COMMON_FIELDS | {"weekday", "time", "if_closed", "hours", "days"})
        return None
    if kind == "weekday_before":
        return _weekday_fields(check, key, table)
    if kind == "hours_before":
        check.unknown_fields(key, table, _COMMON_FIELDS | {"hours"})
        return {"hours": check.integer(key, table, "hours", minimum=1, maximum=MAX_HOURS)}
    check.unknown_fields(key, table, _COMMON_FIELDS | {"days", "time"})
    return {
        "days": check.integer(key, table, "days", minimum=1, maximum=MAX_DAYS),
        "at": check.clock(key, table, "time", required=False),
    }


def _weekday_fields(check: _Checker, key: str, table: dict) -> dict[str, Any]:
    check.unknown_fields(key, table, _COMMON_FIELDS | {"weekday", "time", "if_closed"})
    fields: dict[str, Any] = {}
    weekday = table.get("weekday")
    if weekday is None:
        check.add(key, _("“%(field)s” is required for this rule."), field="weekday")
    elif not isinstance(weekday, str) or weekday.strip().lower() not in WEEKDAYS:
        check.add(
            key,
            _("Weekday “%(value)s” is not valid; use mon, tue, wed, thu, fri, sat or sun."),
            value=weekday,
        )
    else:
        fields["weekday"] = WEEKDAYS.index(weekday.strip().lower())
    fields["at"] = check.clock(key, table, "time", required=True)
    if_closed = table.get("if_closed")
    if if_closed is None:
        check.add(key, _("“%(field)s” is required for this rule."), field="if_closed")
    elif if_closed not in IF_CLOSED:
        check.add(key, _("“if_closed” must be “earlier” or “later”, not “%(value)s”."), value=if_closed)
    else:
        fields["if_closed"] = if_closed
    return fields


def _duration_fields(check: _Checker, key: str, table: dict, kind: Any) -> dict[str, Any]:
    check.only_kind(key, kind, DURATION)
    check.unknown_fields(key, table, _COMMON_FIELDS | {"minutes"})
    minimum = 0 if key in _ZERO_ALLOWED else 1
    return {"minutes": check.integer(key, table, "minutes", minimum=minimum, maximum=MAX_MINUTES)}


def _choice_fields(check: _Checker, key: str, table: dict, kind: Any) -> dict[str, Any]:
    check.only_kind(key, kind, CHOICE)
    check.unknown_fields(key, table, _COMMON_FIELDS | {"value"})
    value = table.get("value")
    choices = CHOICE_VALUES[key]
    if value is None:
        check.add(key, _("“%(field)s” is required for this rule."), field="value")
    elif value not in choices:
        check.add(
            key,
            _("“%(value)s” is not valid for this rule; use one of: %(choices)s."),
            value=value,
            choices=", ".join(choices),
        )
    else:
        return {"value": value}
    return {}


def _count_fields(check: _Checker, key: str, table: dict, kind: Any) -> dict[str, Any]:
    check.only_kind(key, kind, COUNT)
    check.unknown_fields(key, table, _COMMON_FIELDS | {"count"})
    maximum = 100 if key in _PERCENT_KEYS else MAX_COUNT
    return {"count": check.integer(key, table, "count", minimum=1, maximum=maximum)}


def _check_head(check: _Checker, head: Any) -> tuple[str, str, str]:
    """The [policy] section's key, name and source."""
    if not isinstance(head, dict):
        check.add("policy", _("The [policy] section is missing."))
        return "", "", ""
    key = check.text("policy", head, "key", required=True, max_length=MAX_POLICY_KEY)
    if key and not _SLUG.match(key):
        check.add(
            "policy",
            _("Key “%(value)s” is not valid; use only letters, digits, hyphens and underscores."),
            value=key,
        )
    name = check.text("policy", head, "name", required=True, max_length=MAX_POLICY_NAME)
    source = check.text("policy", head, "source", required=False, max_length=MAX_POLICY_SOURCE)
    for field in head:
        if field not in ("key", "name", "source"):
            check.add("policy", _("Unknown field “%(field)s” in [policy]."), field=field)
    return key, name, source


def _check_tables(check: _Checker, tables: Any) -> dict[str, Rule]:
    """The valid rules of the [rules] section; every required rule must be there."""
    rules: dict[str, Rule] = {}
    if not isinstance(tables, dict):
        # One problem for the whole section, not one per required rule.
        check.add("file", _("The [rules] section is missing."))
        return rules
    for rule_key, table in tables.items():
        if rule_key not in RULE_ORDER:
            check.add(rule_key, _("Unknown rule “%(key)s”."), key=rule_key)
            continue
        rule = _check_rule(check, rule_key, table)
        if rule is not None:
            rules[rule_key] = rule
    approvals_only = bool(tables) and (
        all(key in APPROVAL_KEYS for key in tables) or all(key in REQUEST_KEYS for key in tables)
    )
    for rule_key in () if approvals_only else RULE_ORDER:
        if rule_key in REQUIRED_KEYS and rule_key not in tables:
            check.add(rule_key, _("The rule “%(key)s” is required but missing."), key=rule_key)
    return rules


def _check_times(check: _Checker, rules: dict[str, Rule]) -> None:
    """The open-discussion slot and the default item time fit in the meeting."""
    cap = rules.get("meeting_duration_cap")
    if cap is None or cap.minutes is None:
        return
    slot = rules.get("open_discussion_slot")
    if slot is not None and slot.minutes is not None and slot.minutes >= cap.minutes:
        check.add(
            "open_discussion_slot",
            _("The open-discussion slot (%(slot)s min) must be shorter than the meeting (%(cap)s min)."),
            slot=slot.minutes,
            cap=cap.minutes,
        )
    budget = rules.get("default_item_budget")
    if budget is not None and budget.minutes is not None and budget.minutes > cap.minutes:
        check.add(
            "default_item_budget",
            _("The default item time (%(budget)s min) is longer than the meeting (%(cap)s min)."),
            budget=budget.minutes,
            cap=cap.minutes,
        )


def _check_clauses(check: _Checker, table: Any) -> dict[str, str]:
    """The [clauses] section: clause id -> short name, each id written as the regulation numbers it."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        check.add("clauses", _("The [clauses] section must be a table of clause id = name."))
        return {}
    clauses = {}
    for clause_id, name in table.items():
        if not _CLAUSE_ID_RE.fullmatch(clause_id):
            check.add(
                "clauses",
                _("“%(value)s” is not a clause id; write it as the regulation numbers it, e.g. 第五条(二)1."),
                value=clause_id,
            )
        elif not isinstance(name, str) or not name.strip() or len(name) > MAX_CLAUSE_NAME:
            check.add(
                "clauses",
                _("The name of clause “%(value)s” must be text of 1–%(max)s characters."),
                value=clause_id,
                max=MAX_CLAUSE_NAME,
            )
        else:
            clauses[clause_id] = name.strip()
    return clauses


def _check_citations(check: _Checker, rules: dict[str, Rule], clauses: dict[str, str]) -> None:
    """With a clause list, every rule cites at least one clause (a rule the organisation added
    cites the clause it supplements), and every clause it cites of its own regulation exists."""
    if not clauses:
        return
    for key, rule in rules.items():
        cited = clause_citations(rule.clause)
        if not cited:
            check.add(
                key,
                _("Cite the clause this rule comes from or supplements, e.g. “本组织补充（补充第六条1）”."),
            )
        for document, clause_id in cited:
            if not document and clause_id not in clauses:
                check.add(
                    key,
                    _("This rule cites %(clause)s, which is not in the regulation's [clauses] list."),
                    clause=clause_id,
                )


def load_rules(data: dict) -> PolicyRules:
    """Validate an already-parsed policy (TOML-shaped dict, e.g. JSON from the database)."""
    check = _Checker()
    if not isinstance(data, dict):
        check.add("file", _("A policy must be a table with [policy] and [rules] sections."))
        raise PolicyFileError(check.problems)
    for section in data:
        if section not in ("policy", "rules", "clauses"):
            check.add(
                "file",
                _("Unknown section “%(name)s”; only [policy], [rules] and [clauses] are allowed."),
                name=section,
            )
    key, name, source = _check_head(check, data.get("policy"))
    rules = _check_tables(check, data.get("rules"))
    clauses = _check_clauses(check, data.get("clauses"))
    _check_citations(check, rules, clauses)
    _check_times(check, rules)
    if check.problems:
        raise PolicyFileError(check.problems)
    ordered = {k: rules[k] for k in RULE_ORDER if k in rules and not rules[k].blank}
    blanks = {k: rules[k] for k in RULE_ORDER if k in rules and rules[k].blank}
    return PolicyRules(key=key, name=name, source=source, rules=ordered, clauses=clauses, blanks=blanks)


def parse_policy(text: str) -> PolicyRules:
    """Parse and validate a TOML policy file; raises PolicyFileError listing every problem."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyFileError([("file", _msg(_("The file is not UTF-8 text.")))]) from None
    # Windows editors like to start UTF-8 files with a byte-order mark, which TOML forbids.
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(
            [("file", _msg(_("The file is not valid TOML: %(error)s"), error=exc))]
        ) from exc
    return load_rules(data)


# ---- writing ---------------------------------------------------------------------------


def _rule_data(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"clause": rule.clause}
    if rule.note:
        out["note"] = rule.note
    if rule.blank:
        if rule.is_deadline:
            out["kind"] = rule.kind
        out["blank"] = True
        return out
    if rule.kind == "weekday_before":
        assert rule.weekday is not None and rule.at is not None
        out.update(
            kind=rule.kind, weekday=WEEKDAYS[rule.weekday], time=_hhmm(rule.at), if_closed=rule.if_closed
        )
    elif rule.kind == "hours_before":
        out.update(kind=rule.kind, hours=rule.hours)
    elif rule.kind == "working_days_before":
        out.update(kind=rule.kind, days=rule.days)
        if rule.at is not None:
            out["time"] = _hhmm(rule.at)
    elif rule.kind == DURATION:
        out["minutes"] = rule.minutes
    elif rule.kind == CHOICE:
        out["value"] = rule.value
    elif rule.kind == DUTY:
        pass
    elif rule.kind == AMOUNT:
        out["yuan"] = rule.yuan
    else:
        out["count"] = rule.count
    return out


def to_data(rules: PolicyRules) -> dict:
    """A JSON-serialisable dict of the same shape as the TOML file; load_rules reads it back."""
    data: dict[str, Any] = {
        "policy": {"key": rules.key, "name": rules.name, "source": rules.source},
        "rules": {
            key: _rule_data(rule)
            for key in RULE_ORDER
            for rule in (rules.rules.get(key) or rules.blanks.get(key),)
            if rule is not None
        },
    }
    if rules.clauses:
        data["clauses"] = dict(rules.clauses)
    return data


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_policy(rules: PolicyRules) -> str:
    """TOML text that parse_policy reads back to an equal PolicyRules."""
    data = to_data(rules)
    title = " ".join(rules.name.split())  # a newline in the name would end the comment
    lines = [f"# {title}", "# Written by Xietong; each rule cites the clause it comes from.", "", "[policy]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in data["policy"].items()]
    for key, table in data["rules"].items():
        lines += ["", f"[rules.{key}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    if rules.clauses:
        lines += ["", "[clauses]"]
        lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in rules.clauses.items()]
    return "\n".join(lines) + "\n"


# ---- presets ---------------------------------------------------------------------------


def preset_names() -> list[str]:
    """The bundled presets, by file stem (e.g. "seed01-weekly")."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> PolicyRules:
    if name not in preset_names():
        raise KeyError(name)
    return parse_policy((PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8"))


def preset_for_key(key: str) -> PolicyRules | None:
    """The bundled preset of the policy ``key`` (the values the regulation's text gives), or None."""
    for name in preset_names():
        try:
            rules = load_preset(name)
        except PolicyFileError:
            continue
        if rules.key == key:
            return rules
    return None

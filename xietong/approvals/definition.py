"""An approval template's definition (审批模板) as data: its form fields and its route.

Written by the coordinator as TOML; the same shape, as a dict, is what the database stores as
JSON. Parsing checks the structure and reports *all* problems at once in DefinitionError, each
tied to the place it is about. Names of people and departments, and the policy's thresholds,
are checked against the database by the service that saves the template.

Only ``django.utils.translation`` is used from Django.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

FIELD_TYPES = ("amount", "text", "department")
# Who approves a step: resolved when the approval reaches it.
APPLICANT_HEAD = "applicant_head"  # the head of the department the approval is for
DEPARTMENT_HEAD = "department_head"  # the head of a named department (e.g. 财务部)
CHAIR = "chair"  # the leadership group's chair (总经理 / CEO)
COMMITTEE = "committee"  # the coordination committee
LEADERSHIP = "leadership"  # every member of the leadership group
PERSON = "person"  # one named person
GROUP = "group"  # named people
APPROVER_KINDS = (APPLICANT_HEAD, DEPARTMENT_HEAD, CHAIR, COMMITTEE, LEADERSHIP, PERSON, GROUP)
ALL = "all"  # 会签: every approver of the step
ANY = "any"  # 或签: the first approver's decision
MODES = (ANY, ALL)
AMOUNT_FIELD = "amount"
MAX_STEPS = 20
MAX_FIELDS = 20
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


class DefinitionError(Exception):
    """A definition that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    required: bool = True


@dataclass(frozen=True)
class StepDef:
    key: str
    name: str
    approver: str
    mode: str = ANY
    department: str = ""  # department_head: the department's name
    people: tuple[str, ...] = ()  # person / group: usernames
    # Taken only when the form's ``when_field`` is at least the policy's amount rule ``when_rule``.
    when_field: str = ""
    when_rule: str = ""
    # The policy rule giving the step's time limit in working days ("" = approval_step_days).
    limit: str = ""


@dataclass(frozen=True)
class Definition:
    fields: tuple[FieldDef, ...]
    steps: tuple[StepDef, ...]
    return_to: str = ""  # the step a returned approval restarts at ("" = the first)
    transfer: bool = False  # approvers may hand their step to someone else
    # False when the record the approval is about already carries the step's duty in the
    # ledger (a resource decision's leadership duty): the steps then open no duties of their own.
    ledger: bool = True
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def rules_used(self) -> list[str]:
        return [s.when_rule for s in self.steps if s.when_rule]


def _msg(message: Any, **params: Any) -> str:
    return str(message % params) if params else str(message)


def _text(problems: list[str], where: str, table: dict, name: str, *, required: bool = True) -> str:
    value = table.get(name, "")
    if not isinstance(value, str):
        problems.append(_msg(_("%(where)s: “%(field)s” must be text."), where=where, field=name))
        return ""
    if required and not value.strip():
        problems.append(_msg(_("%(where)s: “%(field)s” is required."), where=where, field=name))
    return value.strip()


def _fields(problems: list[str], tables: Any) -> list[FieldDef]:
    if not isinstance(tables, list) or not tables:
        problems.append(_msg(_("The form needs at least one field ([[fields]]).")))
        return []
    out: list[FieldDef] = []
    for n, table in enumerate(tables[:MAX_FIELDS], start=1):
        where = _msg(_("Field %(n)s"), n=n)
        if not isinstance(table, dict):
            problems.append(_msg(_("%(where)s must be a table."), where=where))
            continue
        name = _text(problems, where, table, "name")
        if name and not _KEY.match(name):
            problems.append(
                _msg(
                    _("%(where)s: name “%(value)s” must be lower-case letters, digits or _."),
                    where=where,
                    value=name,
                )
            )
        if name in {f.name for f in out}:
            problems.append(
                _msg(_("%(where)s: the field “%(value)s” is defined twice."), where=where, value=name)
            )
        kind = table.get("type", "text")
        if kind not in FIELD_TYPES:
            problems.append(
                _msg(
                    _("%(where)s: type “%(value)s” is not one of %(choices)s."),
                    where=where,
                    value=kind,
                    choices=", ".join(FIELD_TYPES),
                )
            )
        out.append(
            FieldDef(
                name=name,
                label=_text(problems, where, table, "label", required=False) or name,
                type=kind,
                required=bool(table.get("required", True)),
            )
        )
    return out


def _when(problems: list[str], where: str, table: dict, fields: dict[str, FieldDef]) -> tuple[str, str]:
    when = table.get("when")
    if when is None:
        return "", ""
    if not isinstance(when, dict):
        problems.append(_msg(_("%(where)s: “when” must be a table {field = …, at_least = …}."), where=where))
        return "", ""
    name = _text(problems, where, when, "field")
    rule = _text(problems, where, when, "at_least")
    if name and name not in fields:
        problems.append(
            _msg(
                _("%(where)s: the condition is on the field “%(value)s”, which the form does not have."),
                where=where,
                value=name,
            )
        )
    elif name and fields[name].type != "amount":
        problems.append(
            _msg(_("%(where)s: the condition's field “%(value)s” is not an amount."), where=where, value=name)
        )
    return name, rule


def _approver(problems: list[str], where: str, table: dict) -> tuple[str, str, tuple[str, ...]]:
    approver = table.get("approver")
    department = ""
    people: tuple[str, ...] = ()
    if approver not in APPROVER_KINDS:
        problems.append(
            _msg(
                _("%(where)s: approver “%(value)s” is not one of %(choices)s."),
                where=where,
                value=approver,
                choices=", ".join(APPROVER_KINDS),
            )
        )
        return "", department, people
    if approver == DEPARTMENT_HEAD:
        department = _text(problems, where, table, "department")
    if approver in (PERSON, GROUP):
        raw = table.get("people")
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p.strip() for p in raw):
            problems.append(_msg(_("%(where)s: name the approvers in “people”."), where=where))
        else:
            people = tuple(p.strip() for p in raw)
            if approver == PERSON and len(people) != 1:
                problems.append(_msg(_("%(where)s: a person step names exactly one person."), where=where))
    return approver, department, people


def _steps(problems: list[str], tables: Any, fields: dict[str, FieldDef]) -> list[StepDef]:
    if not isinstance(tables, list) or not tables:
        problems.append(_msg(_("The route is empty: add at least one step ([[steps]]).")))
        return []
    if len(tables) > MAX_STEPS:
        problems.append(_msg(_("The route has more than %(max)s steps."), max=MAX_STEPS))
    out: list[StepDef] = []
    for n, table in enumerate(tables[:MAX_STEPS], start=1):
        where = _msg(_("Step %(n)s"), n=n)
        if not isinstance(table, dict):
            problems.append(_msg(_("%(where)s must be a table."), where=where))
            continue
        key = _text(problems, where, table, "key")
        if key and not _KEY.match(key):
            problems.append(
                _msg(
                    _("%(where)s: key “%(value)s” must be lower-case letters, digits or _."),
                    where=where,
                    value=key,
                )
            )
        if key and key in {s.key for s in out}:
            problems.append(
                _msg(
                    _(
                        "%(where)s: the route comes back to the step “%(value)s” (a loop); each step appears once."
                    ),
                    where=where,
                    value=key,
                )
            )
        approver, department, people = _approver(problems, where, table)
        mode = table.get("mode", ANY)
        if mode not in MODES:
            problems.append(
                _msg(
                    _("%(where)s: mode “%(value)s” must be “any” (或签) or “all” (会签)."),
                    where=where,
                    value=mode,
                )
            )
        when_field, when_rule = _when(problems, where, table, fields)
        limit = table.get("limit", "")
        if not isinstance(limit, str) or (limit and not _KEY.match(limit)):
            problems.append(_msg(_("%(where)s: “limit” must name a rule of the regulation."), where=where))
            limit = ""
        out.append(
            StepDef(
                key=key,
                name=_text(problems, where, table, "name", required=False) or key,
                approver=approver,
                mode=mode,
                department=department,
                people=people,
                when_field=when_field,
                when_rule=when_rule,
                limit=limit,
            )
        )
    return out


_TOP = {"fields", "steps", "return_to", "transfer", "ledger"}


def load_definition(data: Any) -> Definition:
    """Validate a definition dict (TOML-shaped); raises DefinitionError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise DefinitionError([_msg(_("A definition must be a table with [[fields]] and [[steps]]."))])
    for name in data:
        if name not in _TOP:
            problems.append(_msg(_("Unknown setting “%(value)s”."), value=name))
    fields = _fields(problems, data.get("fields"))
    steps = _steps(problems, data.get("steps"), {f.name: f for f in fields})
    return_to = data.get("return_to", "")
    if not isinstance(return_to, str) or (return_to and return_to not in {s.key for s in steps}):
        problems.append(
            _msg(_("“return_to” names the step “%(value)s”, which the route does not have."), value=return_to)
        )
        return_to = ""
    transfer = data.get("transfer", False)
    if not isinstance(transfer, bool):
        problems.append(_msg(_("“transfer” must be true or false.")))
    ledger = data.get("ledger", True)
    if not isinstance(ledger, bool):
        problems.append(_msg(_("“ledger” must be true or false.")))
    if problems:
        raise DefinitionError(problems)
    return Definition(
        fields=tuple(fields),
        steps=tuple(steps),
        return_to=return_to,
        transfer=bool(transfer),
        ledger=bool(ledger),
    )


def parse_definition(text: str) -> Definition:
    """Parse and validate TOML text."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([_msg(_("The definition is not valid TOML: %(error)s"), error=exc)]) from exc
    return load_definition(data)


def step_applies(step: StepDef, values: dict[str, Any], thresholds: dict[str, int]) -> bool:
    """Whether ``step`` is on the route for the form's ``values`` (amount ≥ the rule's threshold)."""
    if not step.when_rule:
        return True
    amount = values.get(step.when_field)
    return amount is not None and amount >= thresholds[step.when_rule]

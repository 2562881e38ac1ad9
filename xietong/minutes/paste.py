"""Action items in minutes pasted from WPS or Word.

A line of the form ``[任务](负责人:张三,截止日期:2026-03-20)`` proposes an action item.
Full-width brackets, colons and commas （）：， and spaces are accepted. The owner is matched
by exact full name through a callable passed in (so this module needs no database); a name
that matches nobody or several people, and a date that is malformed, impossible or before the
meeting, is reported with its line number and a reason — never guessed. Other lines are prose
and ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

MAX_TASK = 200

# Owner and deadline labels as they are written in Chinese minutes.
_OWNER_LABELS = ("负责人",)
# The department is the owner's; a line may name it (the drafted minutes do), it is not read.
_DEPARTMENT_LABELS = ("负责部门",)
_DUE_LABELS = ("截止日期", "截止时间", "完成时限")

# After NFKC, full-width （）：， become ( ) : , and full-width digits become ASCII.
_LINE = re.compile(r"^\s*\[(?P<task>[^\[\]]*)\]\s*\((?P<fields>[^()]*)\)\s*[。.;；]?\s*$")
# A line that starts like an action item but does not have its shape.
_LOOKS_LIKE = re.compile(r"^\s*\[[^\]]*\]\s*\(")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

ERR_SHAPE = _("Write the line as [task](负责人:name,截止日期:YYYY-MM-DD).")
ERR_NO_TASK = _("The task is empty.")
ERR_TASK_LONG = _("The task is longer than %(max)s characters.")
ERR_NO_OWNER = _("The owner (负责人) is missing.")
ERR_NO_DUE = _("The deadline (截止日期) is missing.")
ERR_UNKNOWN_FIELD = _("Unknown field “%(name)s”.")
ERR_UNKNOWN_PERSON = _("Nobody is called “%(name)s”.")
ERR_AMBIGUOUS = _("Several people are called “%(name)s”; choose the owner by hand.")
ERR_BAD_DATE = _("“%(value)s” is not a date of the form YYYY-MM-DD.")
ERR_IMPOSSIBLE_DATE = _("“%(value)s” is not a real date.")
ERR_DATE_BEFORE = _("The deadline %(value)s is before the meeting (%(meeting)s).")


@dataclass(frozen=True)
class ProposedAction:
    line: int
    task: str
    owner_name: str
    owner: Any
    due_on: date


@dataclass(frozen=True)
class LineProblem:
    line: int
    text: str
    reasons: tuple[str, ...]


@dataclass
class PasteResult:
    actions: list[ProposedAction] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)


def _reason(message, **params) -> str:
    text = str(message)
    return text % params if params else text


def parse_date(value: str) -> tuple[date | None, str | None]:
    """(date, None) or (None, reason) for ``value`` written YYYY-MM-DD (also / . 年月日)."""
    m = _DATE.match(value.strip())
    if not m:
        return None, _reason(ERR_BAD_DATE, value=value)
    try:
        return date(int(m[1]), int(m[2]), int(m[3])), None
    except ValueError:
        return None, _reason(ERR_IMPOSSIBLE_DATE, value=value)


def _fields(text: str) -> tuple[dict[str, str], list[str]]:
    found: dict[str, str] = {}
    reasons: list[str] = []
    for part in re.split(r"[,、;]", text):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition(":")
        name = re.sub(r"\s+", "", name)
        if not sep:
            reasons.append(_reason(ERR_UNKNOWN_FIELD, name=part))
        elif name in _OWNER_LABELS:
            found["owner"] = value.strip()
        elif name in _DUE_LABELS:
            found["due"] = value.strip()
        elif name in _DEPARTMENT_LABELS:
            continue
        else:
            reasons.append(_reason(ERR_UNKNOWN_FIELD, name=name))
    return found, reasons


def _owner(name: str, find_people: Callable[[str], Sequence[Any]], reasons: list[str]) -> Any:
    """The one person named ``name``, or None with the reason added to ``reasons``."""
    if not name:
        reasons.append(str(ERR_NO_OWNER))
        return None
    people = list(find_people(name))
    if not people:
        reasons.append(_reason(ERR_UNKNOWN_PERSON, name=name))
    elif len(people) > 1:
        reasons.append(_reason(ERR_AMBIGUOUS, name=name))
    else:
        return people[0]
    return None


def _due(value: str | None, meeting_date: date, reasons: list[str]) -> date | None:
    """The deadline written ``value``; a missing, malformed or too early one adds its reason."""
    if not value:
        reasons.append(str(ERR_NO_DUE))
        return None
    due_on, problem = parse_date(value)
    if problem:
        reasons.append(problem)
    elif due_on is not None and due_on < meeting_date:
        reasons.append(_reason(ERR_DATE_BEFORE, value=due_on.isoformat(), meeting=meeting_date.isoformat()))
    return due_on


def parse_pasted_minutes(
    text: str,
    *,
    find_people: Callable[[str], Sequence[Any]],
    meeting_date: date,
) -> PasteResult:
    """Proposed action items and per-line problems in ``text``.

    ``find_people(name)`` returns every person whose full name is exactly ``name``; exactly
    one match is accepted. A deadline before ``meeting_date`` is refused. Line numbers
    start at 1.
    """
    result = PasteResult()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = unicodedata.normalize("NFKC", raw).replace("\u200b", "").replace("\ufeff", "")
        if not _LOOKS_LIKE.match(line):
            continue
        original = raw.strip()
        m = _LINE.match(line)
        if not m:
            result.problems.append(LineProblem(number, original, (str(ERR_SHAPE),)))
            continue
        reasons: list[str] = []
        task = re.sub(r"\s+", " ", m["task"]).strip()
        if not task:
            reasons.append(str(ERR_NO_TASK))
        elif len(task) > MAX_TASK:
            reasons.append(_reason(ERR_TASK_LONG, max=MAX_TASK))
        found, field_reasons = _fields(m["fields"])
        reasons.extend(field_reasons)
        owner_name = re.sub(r"\s+", "", found.get("owner", ""))
        owner = _owner(owner_name, find_people, reasons)
        due_on = _due(found.get("due"), meeting_date, reasons)
        if reasons or due_on is None:  # a line without a deadline always has its reason
            result.problems.append(LineProblem(number, original, tuple(reasons)))
        else:
            result.actions.append(ProposedAction(number, task, owner_name, owner, due_on))
    return result

"""Minutes text read as an official document (公文) — the structure both the .docx and the print
view lay out. Plain Python: no Django, tested without a database.

The minutes text is what the recorder saved (drafted from the record, then edited by hand). It
is read line by line into blocks:

- the first line is the title, the lines before the first ``一、`` heading are the meta lines
  (time, place, host, attendees …);
- each ``一、`` heading is an agenda item (level 1); below it the discussion stays as
  paragraphs, headings the recorder numbered by hand (（一） 1. （1）) keep their level and are
  renumbered in order, the decisions become level 2 “议定事项” with one level-3 entry each
  (their resources as level 4), and the action items a table (负责部门 / 负责人 / 完成时限) under
  level 2 “任务分工” — never the ``[任务](负责人:…)`` notation;
- “下次会议” becomes its own level-1 section at the end.

The words recognised (the draft's labels, in each language it may have been drafted in) and the
words written (headings, table header) are passed in, so this module has no translation
machinery of its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

_CN = "零一二三四五六七八九"
_CN_NUM = "[零〇一二三四五六七八九十]+"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 23 → 二十三 (up to 99)."""
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return (_CN[tens] if tens > 1 else "") + "十" + (_CN[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    """一、 （一） 1. （1） for levels 1–4 (GB/T 9704-2012 7.3.3)."""
    if level == 1:
        return f"{chinese_numeral(n)}、"
    if level == 2:
        return f"（{chinese_numeral(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


def yuan(amount: Decimal | int | str) -> str:
    """An amount of money as written in a Chinese document: ``12,500元``, ``3,000.50元``."""
    try:
        value = Decimal(str(amount).replace(",", ""))
    except InvalidOperation:
        return f"{amount}元"
    text = f"{value:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{text}元"


# ¥ / ￥ before a number (typed by hand) is written as 元 after it.
_CURRENCY = re.compile(r"[¥￥]\s*(?P<n>\d[\d,]*(?:\.\d+)?)")


def amounts_in_yuan(text: str) -> str:
    return _CURRENCY.sub(lambda m: yuan(m["n"]), text)


def format_pattern(fmt: str) -> re.Pattern[str]:
    """A ``%(name)s`` message turned into an anchored pattern with one named group per field."""
    parts = re.split(r"%\((\w+)\)s", fmt)
    out = ["^"]
    for k, part in enumerate(parts):
        out.append(rf"(?P<{part}>.+?)" if k % 2 else re.escape(part).replace(r"\ ", r"\s*"))
    out.append("$")
    return re.compile("".join(out))


def prefix_of(fmt: str) -> str:
    """The fixed text before the first field of a message (``下次会议：`` of ``下次会议：%(when)s``)."""
    return fmt.split("%(", 1)[0].strip()


@dataclass(frozen=True)
class Vocabulary:
    """How the draft wrote its labels in one language (the messages, as translated)."""

    language: str
    decisions_label: str  # 决议：
    actions_label: str  # 任务：
    decision: str  # %(n)s. %(text)s（责任科室：%(department)s，责任人：%(person)s；截止日期：%(due)s）
    resources: str  # 涉及资源：%(kind)s，%(amount)s
    next_meeting: str  # 下次会议：%(when)s，%(place)s
    speaking: str  # 各科室发言时长：%(list)s

    def score(self, lines: Sequence[str]) -> int:
        marks = (
            self.decisions_label,
            self.actions_label,
            prefix_of(self.next_meeting),
            prefix_of(self.speaking),
        )
        return sum(1 for line in lines if any(m and line.startswith(m) for m in marks))


@dataclass(frozen=True)
class Labels:
    """The words the official document writes, in the document's language."""

    decisions: str = "议定事项"
    actions: str = "任务分工"
    next_meeting: str = "下次会议"
    table_header: tuple[str, ...] = ("序号", "任务", "负责部门", "负责人", "完成时限")
    responsibility: str = "负责部门：%(department)s；负责人：%(person)s；完成时限：%(due)s"
    date: str = "%(y)s年%(m)s月%(d)s日"


@dataclass(frozen=True)
class Block:
    """One paragraph of the document: a numbered ``heading`` (level 1–4), a ``text`` paragraph,
    or a ``table`` (``rows``, header first)."""

    kind: str
    text: str = ""
    level: int = 0
    number: str = ""
    rows: tuple[tuple[str, ...], ...] = ()

    @property
    def heading(self) -> str:
        return self.number + self.text


@dataclass(frozen=True)
class OfficialDocument:
    title: str
    meta: tuple[str, ...]
    blocks: tuple[Block, ...]
    distribution: str = ""
    signoff: tuple[str, ...] = ()
    language: str = "zh-CN"

    def headings(self, level: int | None = None) -> list[str]:
        return [b.heading for b in self.blocks if b.kind == "heading" and level in (None, b.level)]


@dataclass
class _Decision:
    text: str
    department: str
    person: str
    due: str
    resources: list[str] = field(default_factory=list)


@dataclass
class _Action:
    task: str
    department: str
    person: str
    due: str


@dataclass
class _Item:
    title: str
    body: list[tuple[int, str]] = field(default_factory=list)  # (level 0 = paragraph, 2–4 heading)
    decisions: list[_Decision] = field(default_factory=list)
    actions: list[_Action] = field(default_factory=list)


_LEVEL1 = re.compile(rf"^{_CN_NUM}\s*[、.．]\s*(?P<text>.+)$")
_LEVEL2 = re.compile(rf"^[（(]\s*{_CN_NUM}\s*[）)]\s*(?P<text>.+)$")
_LEVEL3 = re.compile(r"^\d{1,3}\s*[.、．]\s*(?P<text>\D.*)$")
_LEVEL4 = re.compile(r"^[（(]\s*\d{1,3}\s*[）)]\s*(?P<text>.+)$")
_HAND_LEVELS = ((_LEVEL2, 2), (_LEVEL3, 3), (_LEVEL4, 4))

# The action-item notation ``[任务](负责人:张三,截止日期:2026-03-20)``, full-width or not.
_ACTION = re.compile(r"^\[(?P<task>[^\[\]]*)\]\s*\((?P<fields>[^()]*)\)\s*[。.;；]?$")
_DEPARTMENT_LABELS = ("负责部门", "责任部门", "责任科室")
_OWNER_LABELS = ("负责人", "责任人")
_DUE_LABELS = ("截止日期", "截止时间", "完成时限")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _action(line: str) -> _Action | None:
    m = _ACTION.match(unicodedata.normalize("NFKC", line).strip())
    if not m:
        return None
    found = {"department": "", "person": "", "due": ""}
    for part in re.split(r"[,、;]", m["fields"]):
        name, _sep, value = part.partition(":")
        name = re.sub(r"\s+", "", name)
        key = (
            "department"
            if name in _DEPARTMENT_LABELS
            else "person"
            if name in _OWNER_LABELS
            else "due"
            if name in _DUE_LABELS
            else None
        )
        if key:
            found[key] = value.strip()
    return _Action(task=m["task"].strip(), **found)


def _date(value: str, labels: Labels) -> str:
    m = _DATE.match(value.strip())
    if not m:
        return value
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return value
    return labels.date % {"y": day.year, "m": day.month, "d": day.day}


def pick_vocabulary(body: str, vocabularies: Sequence[Vocabulary]) -> Vocabulary:
    """The vocabulary whose labels the text uses most (the first one on a tie)."""
    lines = [line.strip() for line in body.splitlines()]
    return max(vocabularies, key=lambda v: v.score(lines))  # max keeps the first of equals


class _Numbers:
    """Running numbers per level; a heading restarts the numbering of the levels below it."""

    def __init__(self) -> None:
        self.counts = [0] * 5

    def next(self, level: int) -> str:
        self.counts[level] += 1
        for deeper in range(level + 1, 5):
            self.counts[deeper] = 0
        return heading_number(level, self.counts[level])


def _read(lines: Sequence[str], vocab: Vocabulary) -> tuple[list[str], list[_Item], list[str], str | None]:
    """(meta lines, agenda items, closing paragraphs, next meeting text)."""
    decision = format_pattern(vocab.decision)
    resources = format_pattern(vocab.resources)
    next_prefix = prefix_of(vocab.next_meeting)
    speaking_prefix = prefix_of(vocab.speaking)
    meta: list[str] = []
    items: list[_Item] = []
    closing: list[str] = []
    next_meeting: str | None = None
    for line in lines:
        heading = _LEVEL1.match(line)
        if next_prefix and line.startswith(next_prefix):
            next_meeting = line[len(next_prefix) :].strip()
        elif speaking_prefix and line.startswith(speaking_prefix):
            closing.append(line)
        elif heading:
            items.append(_Item(heading["text"].strip()))
        elif not items:
            meta.append(line)
        elif line in (vocab.decisions_label, vocab.actions_label):
            continue
        else:
            _read_item_line(items[-1], line, decision, resources)
    return meta, items, closing, next_meeting


def _read_item_line(item: _Item, line: str, decision: re.Pattern[str], resources: re.Pattern[str]) -> None:
    action = _action(line)
    if action is not None:
        item.actions.append(action)
        return
    d = decision.match(line)
    if d:
        item.decisions.append(_Decision(d["text"].strip(), d["department"], d["person"], d["due"]))
        return
    if item.decisions and resources.match(line):
        item.decisions[-1].resources.append(line)
        return
    for pattern, level in _HAND_LEVELS:
        m = pattern.match(line)
        if m:
            item.body.append((level, m["text"].strip()))
            return
    item.body.append((0, line))


def _item_blocks(item: _Item, labels: Labels, numbers: _Numbers) -> list[Block]:
    blocks = [Block("heading", item.title, level=1, number=numbers.next(1))]
    for level, text in item.body:
        if level:
            blocks.append(Block("heading", text, level=level, number=numbers.next(level)))
        else:
            blocks.append(Block("text", text))
    if item.decisions:
        blocks.append(Block("heading", labels.decisions, level=2, number=numbers.next(2)))
        for d in item.decisions:
            who = labels.responsibility % {
                "department": d.department,
                "person": d.person,
                "due": _date(d.due, labels),
            }
            text = d.text.rstrip("。.；;") + "（" + who + "）。"
            blocks.append(Block("heading", text, level=3, number=numbers.next(3)))
            blocks += [Block("heading", r, level=4, number=numbers.next(4)) for r in d.resources]
    if item.actions:
        blocks.append(Block("heading", labels.actions, level=2, number=numbers.next(2)))
        departments = {d.person: d.department for d in item.decisions}
        rows = [labels.table_header] + [
            (
                str(k),
                a.task,
                a.department or departments.get(a.person, "") or "—",
                a.person or "—",
                _date(a.due, labels) if a.due else "—",
            )
            for k, a in enumerate(item.actions, start=1)
        ]
        blocks.append(Block("table", rows=tuple(rows)))
    return blocks


def _clean(block: Block) -> Block:
    if block.kind == "table":
        rows = tuple(tuple(amounts_in_yuan(c) for c in row) for row in block.rows)
        return Block("table", rows=rows)
    return Block(block.kind, amounts_in_yuan(block.text), block.level, block.number)


def read_minutes(
    body: str,
    *,
    vocabulary: Vocabulary,
    labels: Labels | None = None,
    distribution: str = "",
    signoff: Sequence[str] = (),
    language: str = "zh-CN",
) -> OfficialDocument:
    """The minutes text laid out as an official document (see the module's docstring)."""
    labels = labels or Labels()
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    title = lines[0] if lines else ""
    meta, items, closing, next_meeting = _read(lines[1:], vocabulary)
    numbers = _Numbers()
    blocks: list[Block] = []
    for item in items:
        blocks += _item_blocks(item, labels, numbers)
    blocks += [Block("text", line) for line in closing]
    if next_meeting is not None:
        blocks.append(Block("heading", labels.next_meeting, level=1, number=numbers.next(1)))
        blocks.append(Block("text", next_meeting))
    return OfficialDocument(
        title=title,
        meta=tuple(amounts_in_yuan(line) for line in meta),
        blocks=tuple(_clean(b) for b in blocks),
        distribution=distribution,
        signoff=tuple(signoff),
        language=language,
    )


# ---- the download's name ---------------------------------------------------------------------

# Characters no file system or mail client accepts in a name.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_filename(name: str, *, limit: int = 120) -> str:
    """``name`` without the characters file systems refuse, at most ``limit`` characters."""
    name = _NOT_IN_NAMES.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    return name[:limit] or "minutes"


def content_disposition(filename: str, *, fallback: str) -> str:
    """An attachment header carrying ``filename`` as RFC 5987 ``filename*`` (UTF-8) and an ASCII
    ``fallback`` for clients that read only ``filename``."""
    ascii_name = safe_filename(fallback).encode("ascii", "replace").decode().replace("?", "_")
    return (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe_filename(filename), safe='')}"
    )

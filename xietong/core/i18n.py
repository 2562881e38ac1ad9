"""Message catalogue upkeep without GNU gettext.

Python sources are read with ``ast`` (calls to ``_``/``gettext*``/``pgettext*``/``ngettext*``
with literal arguments) and Jinja2 templates with Jinja's own extractor, so every string the
product shows is found, wherever in an expression it sits. The catalogue is a plain
``django.po``; ``write_po`` keeps existing translations and marks new ones empty.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import i18n

SIMPLE = {"_", "gettext", "gettext_lazy", "gettext_noop"}
CONTEXT = {"pgettext", "pgettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}


@dataclass
class Message:
    msgid: str
    context: str | None = None
    plural: str | None = None
    locations: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(path: Path, root: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        )
        if name is None:
            continue
        loc = f"{path.relative_to(root)}:{node.lineno}"
        args = node.args
        if name in SIMPLE and args and (text := _literal(args[0])) is not None:
            yield Message(text, locations=[loc])
        elif name in CONTEXT and len(args) >= 2:
            ctx, text = _literal(args[0]), _literal(args[1])
            if ctx is not None and text is not None:
                yield Message(text, context=ctx, locations=[loc])
        elif name in PLURAL and len(args) >= 2:
            one, many = _literal(args[0]), _literal(args[1])
            if one is not None and many is not None:
                yield Message(one, plural=many, locations=[loc])


_ENV = Environment(extensions=[i18n])  # noqa: S701 - used only to parse templates, never to render


def extract_template(path: Path, root: Path) -> Iterator[Message]:
    source = path.read_text(encoding="utf-8")
    for lineno, func, message in _ENV.extract_translations(  # type: ignore[attr-defined]  # added by the i18n extension
        source, gettext_functions=tuple(SIMPLE | PLURAL | CONTEXT)
    ):
        loc = f"{path.relative_to(root)}:{lineno}"
        if isinstance(message, str):
            yield Message(message, locations=[loc])
        elif func in PLURAL and message and message[0] and len(message) > 1 and message[1]:
            yield Message(message[0], plural=message[1], locations=[loc])
        elif func in CONTEXT and message and len(message) > 1 and message[0] and message[1]:
            yield Message(message[1], context=message[0], locations=[loc])


def collect(root: Path) -> dict[tuple[str | None, str], Message]:
    """Every message of the product under ``root`` (the ``xietong`` package directory)."""
    found: dict[tuple[str | None, str], Message] = {}
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts)
        if parts & {"tests", "migrations", "__pycache__", "static", "locale"} or path.name in {
            "conftest.py",
            "testing.py",
        }:
            continue
        if path.suffix == ".py":
            messages = extract_python(path, root)
        elif path.suffix == ".html" and ({"jinja2", "templates"} & parts):
            messages = extract_template(path, root)
        else:
            continue
        for message in messages:
            if message.key in found:
                found[message.key].locations.extend(message.locations)
            else:
                found[message.key] = message
    return found


# --- .po reading and writing ---------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    context: str | None = None
    plural: str | None = None
    plural_strs: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)

    @property
    def translated(self) -> bool:
        if self.fuzzy:
            return False
        if self.plural is not None:
            return bool(self.plural_strs) and all(self.plural_strs)
        return bool(self.msgstr)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"bad po string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    if "\n" in text and text != "\n":
        lines = escaped.split("\n")
        chunks = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
        return '""\n' + "\n".join(f'"{c}"' for c in chunks)
    return '"' + escaped.replace("\n", "\\n") + '"'


_PO_LINE = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$")


class _PoReader:
    """Reads a .po file line by line into its header and entries."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.header = ""
        self.current: dict = {}
        self.last_key: str | None = None

    def flush(self) -> None:
        current, self.current = self.current, {}
        if "msgid" not in current:
            return
        if current["msgid"] == "" and current.get("msgctxt") is None:
            self.header = current.get("msgstr", "")
            return
        plural_strs = [current[k] for k in sorted(k for k in current if k.startswith("msgstr["))]
        self.entries.append(
            Entry(
                msgid=current["msgid"],
                msgstr=current.get("msgstr", ""),
                context=current.get("msgctxt"),
                plural=current.get("msgid_plural"),
                plural_strs=plural_strs,
                fuzzy=current.get("fuzzy", False),
            )
        )

    def comment(self, line: str) -> None:
        if "msgid" in self.current:
            self.flush()
        if line.startswith("#,") and "fuzzy" in line:
            self.current["fuzzy"] = True

    def keyword(self, key: str, value: str) -> None:
        if key in ("msgctxt", "msgid") and "msgid" in self.current:
            self.flush()
        self.current[key] = value
        self.last_key = key

    def feed(self, line: str) -> None:
        if not line:
            self.flush()
            self.last_key = None
        elif line.startswith("#"):
            self.comment(line)
        elif m := _PO_LINE.match(line):
            self.keyword(m.group(1), _unquote(m.group(2)))
        elif line.startswith('"') and self.last_key:
            self.current[self.last_key] += _unquote(line)


def read_po(path: Path) -> tuple[str, list[Entry]]:
    """Returns (header msgstr, entries)."""
    if not path.exists():
        return "", []
    reader = _PoReader()
    for raw in path.read_text(encoding="utf-8").splitlines():
        reader.feed(raw.strip())
    reader.flush()
    return reader.header, reader.entries


HEADER = (
    "Project-Id-Version: xietong\n"
    "Language: {lang}\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: {plural}\n"
)


def write_po(path: Path, messages: dict, *, lang: str, plural_forms: str) -> tuple[int, int, list[Entry]]:
    """Merge ``messages`` into the catalogue at ``path``.

    Returns (new entries, dropped entries, untranslated entries). Translations of
    messages that still exist are kept; obsolete entries are dropped.
    """
    _, old = read_po(path)
    old_by_key = {e.key: e for e in old}
    nplurals = re.search(r"nplurals=(\d+)", plural_forms)
    if nplurals is None:
        raise ValueError(f"plural forms without nplurals: {plural_forms!r}")
    n_plural = int(nplurals.group(1))
    header_lines = HEADER.format(lang=lang, plural=plural_forms).splitlines()
    out = ['msgid ""\nmsgstr ""\n' + "\n".join(f'"{line}\\n"' for line in header_lines), ""]
    new = 0
    untranslated: list[Entry] = []
    for key in sorted(messages, key=lambda k: (messages[k].locations[0], k[1])):
        message = messages[key]
        entry = old_by_key.get(key) or Entry(
            msgid=message.msgid, context=message.context, plural=message.plural
        )
        if key not in old_by_key:
            new += 1
        entry.plural = message.plural
        if not entry.translated:
            untranslated.append(entry)
        block = [f"#: {loc}" for loc in message.locations[:4]]
        if entry.fuzzy:
            block.append("#, fuzzy")
        if "%(" in message.msgid or re.search(r"%[sd]", message.msgid):
            block.append("#, python-format")
        if message.context is not None:
            block.append(f"msgctxt {_quote(message.context)}")
        block.append(f"msgid {_quote(message.msgid)}")
        if message.plural is not None:
            block.append(f"msgid_plural {_quote(message.plural)}")
            strs = entry.plural_strs + [""] * (n_plural - len(entry.plural_strs))
            block.extend(f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(strs[:n_plural]))
        else:
            block.append(f"msgstr {_quote(entry.msgstr)}")
        out.append("\n".join(block))
        out.append("")
    dropped = len(set(old_by_key) - set(messages))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return new, dropped, untranslated

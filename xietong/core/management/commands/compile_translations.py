"""Compile every ``locale/*/LC_MESSAGES/*.po`` under the package to ``.mo``, in pure Python.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this does the same job with
the standard library, so a machine with only Python can run Xietong in Chinese. Like
``msgfmt`` (without ``--use-fuzzy``), fuzzy and untranslated entries are left out, and
obsolete (``#~``) entries are ignored.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MO_MAGIC = 0x950412DE
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
_CONTINUATION = re.compile(r"^(\".*\")\s*$")


class PoSyntaxError(ValueError):
    pass


@dataclass
class PoEntry:
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "?": "?",
}


def _unquote(token: str, where: str) -> str:
    """The value of a C string literal as gettext writes it."""
    body = token[1:-1]
    if re.search(r'(?<!\\)(?:\\\\)*"', body):
        raise PoSyntaxError(f"{where}: unescaped quote in {token}")

    def replace(match: re.Match) -> str:
        octal, hexa, char = match.groups()
        if octal:
            return chr(int(octal, 8))
        if hexa:
            return chr(int(hexa, 16))
        if char in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[char]
        raise PoSyntaxError(f"{where}: unknown escape \\{char} in {token}")

    return _ESCAPE.sub(replace, body)


def parse_po(text: str, *, name: str = "<po>") -> list[PoEntry]:
    """The entries of a PO file (the header is the entry whose msgid is empty)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    # (field, plural index) of the string that continuation lines extend
    current: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal entry, current
        if entry.msgid is not None:
            entries.append(entry)
        elif entry.msgstr or entry.msgctxt is not None:
            raise PoSyntaxError(f"{name}: msgstr without msgid")
        entry = PoEntry()
        current = None

    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{name}:{number}"
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue  # blank, or an obsolete entry
        if line.startswith("#"):
            if entry.msgstr:
                finish()
            if line.startswith("#,") and "fuzzy" in [flag.strip() for flag in line[2:].split(",")]:
                entry.fuzzy = True
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            value = _unquote(token, where)
            if keyword in {"msgctxt", "msgid"} and entry.msgstr:
                finish()
            if keyword == "msgstr" or keyword.startswith("msgstr["):
                n = int(index) if index is not None else 0
                entry.msgstr[n] = value
                current = ("msgstr", n)
            else:
                if getattr(entry, keyword) is not None:
                    raise PoSyntaxError(f"{where}: {keyword} repeated")
                setattr(entry, keyword, value)
                current = (keyword, None)
            continue
        match = _CONTINUATION.match(line)
        if match and current is not None:
            value = _unquote(match.group(1), where)
            kind, n = current
            if kind == "msgstr":
                entry.msgstr[n] += value
            else:
                setattr(entry, kind, getattr(entry, kind) + value)
            continue
        raise PoSyntaxError(f"{where}: cannot read {line!r}")
    finish()
    return entries


def _charset(entries: list[PoEntry]) -> str:
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            found = re.search(r"charset=([\w-]+)", entry.msgstr.get(0, ""))
            if found and found.group(1).upper() != "CHARSET":
                return found.group(1)
    return "utf-8"


def build_mo(entries: list[PoEntry]) -> bytes:
    """GNU .mo bytes for ``entries`` (little-endian, no hash table, keys sorted)."""
    encoding = _charset(entries)
    catalog: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.fuzzy and entry.msgid != "":
            continue
        strings = [entry.msgstr[i] for i in sorted(entry.msgstr)]
        if not any(strings):
            continue  # untranslated
        key = entry.msgid.encode(encoding)
        if entry.msgid_plural is not None:
            key += b"\0" + entry.msgid_plural.encode(encoding)
        if entry.msgctxt is not None:
            key = entry.msgctxt.encode(encoding) + b"\x04" + key
        catalog[key] = b"\0".join(s.encode(encoding) for s in strings)
    keys = sorted(catalog)
    count = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    data_at = translations_at + count * 8
    originals = bytearray()
    translations = bytearray()
    blob = bytearray()
    for key in keys:
        originals += struct.pack("<2I", len(key), data_at + len(blob))
        blob += key + b"\0"
    for key in keys:
        value = catalog[key]
        translations += struct.pack("<2I", len(value), data_at + len(blob))
        blob += value + b"\0"
    header = struct.pack("<7I", MO_MAGIC, 0, count, originals_at, translations_at, 0, data_at)
    return bytes(header + originals + translations + blob)


def compile_po(po: Path, mo: Path) -> int:
    """Write ``mo`` from ``po``; returns the number of messages written."""
    raw = po.read_bytes()
    entries = parse_po(raw.decode("utf-8"), name=str(po))
    encoding = _charset(entries)
    if encoding.lower().replace("-", "") != "utf8":
        entries = parse_po(raw.decode(encoding), name=str(po))
    data = build_mo(entries)
    tmp = mo.with_suffix(".mo.tmp")
    tmp.write_bytes(data)
    tmp.replace(mo)
    return struct.unpack_from("<I", data, 8)[0]


def po_files(root: Path) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without GNU gettext."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile even when the .mo is up to date.")

    def handle(self, *args, force: bool = False, **options):
        root = Path(settings.BASE_DIR)
        compiled = 0
        for po in po_files(root):
            mo = po.with_suffix(".mo")
            if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            try:
                count = compile_po(po, mo)
            except (PoSyntaxError, UnicodeDecodeError) as exc:
                raise CommandError(str(exc)) from exc
            compiled += 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"{po.relative_to(root.parent)}: {count} messages")
        if options["verbosity"] >= 2 and not compiled:
            self.stdout.write("Translations are up to date.")

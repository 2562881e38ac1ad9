"""Compile every ``locale/*/LC_MESSAGES/*.po`` under the package to ``.mo``, in pure Python.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this does the same job with the
catalogue reader the project already has (``xietong.core.i18n.read_po``), so a machine with
only Python serves Xietong in Chinese. Like ``msgfmt`` without ``--use-fuzzy``, fuzzy and
untranslated entries are left out.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xietong.core.i18n import Entry, read_po

MO_MAGIC = 0x950412DE


def build_mo(header: str, entries: list[Entry]) -> bytes:
    """GNU .mo bytes (little-endian, keys sorted, no hash table) for a catalogue.

    Keys follow GNU gettext: ``msgctxt`` EOT ``msgid`` [NUL ``msgid_plural``]; the plural
    translations are joined by NUL. The header is the translation of the empty msgid.
    """
    catalog: dict[bytes, bytes] = {}
    if header:
        catalog[b""] = header.encode("utf-8")
    for entry in entries:
        if not entry.translated:
            continue
        key = entry.msgid.encode("utf-8")
        if entry.plural is not None:
            key += b"\0" + entry.plural.encode("utf-8")
            value = b"\0".join(s.encode("utf-8") for s in entry.plural_strs)
        else:
            value = entry.msgstr.encode("utf-8")
        if entry.context is not None:
            key = entry.context.encode("utf-8") + b"\x04" + key
        catalog[key] = value
    keys = sorted(catalog)
    originals_at = 7 * 4
    translations_at = originals_at + len(keys) * 8
    data_at = translations_at + len(keys) * 8
    originals, translations, blob = bytearray(), bytearray(), bytearray()
    for key in keys:
        originals += struct.pack("<2I", len(key), data_at + len(blob))
        blob += key + b"\0"
    for key in keys:
        translations += struct.pack("<2I", len(catalog[key]), data_at + len(blob))
        blob += catalog[key] + b"\0"
    header_bytes = struct.pack("<7I", MO_MAGIC, 0, len(keys), originals_at, translations_at, 0, data_at)
    return bytes(header_bytes + originals + translations + blob)


def compile_po(po: Path, mo: Path) -> int:
    """Write ``mo`` from ``po`` (atomically); returns the number of messages written."""
    header, entries = read_po(po)
    if "charset=UTF-8" not in header.replace("utf-8", "UTF-8"):
        raise ValueError(f"{po}: the catalogue must declare charset=UTF-8")
    data = build_mo(header, entries)
    tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # parallel test workers compile at once
    tmp.write_bytes(data)
    tmp.replace(mo)
    return struct.unpack_from("<I", data, 8)[0]


def po_files(root: Path) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without GNU gettext."
    # A build step: the deployment's configuration is checked when the product starts, not here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile even when the .mo is up to date.")

    def handle(self, *args, force: bool = False, **options):
        root = Path(settings.BASE_DIR)
        for po in po_files(root):
            mo = po.with_suffix(".mo")
            if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            try:
                count = compile_po(po, mo)
            except (ValueError, UnicodeDecodeError) as exc:
                raise CommandError(f"{po}: {exc}") from exc
            if options["verbosity"] >= 1:
                self.stdout.write(f"{po.relative_to(root.parent)}: {count} messages")

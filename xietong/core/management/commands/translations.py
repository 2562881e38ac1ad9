"""Update the message catalogue: ``xietong translations [--check]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xietong.core import i18n

PACKAGE = Path(__file__).resolve().parents[3]
CATALOGUES = {"zh_Hans": "nplurals=1; plural=0;"}


class Command(BaseCommand):
    help = "Extract every translatable string and merge it into the catalogues (zh_Hans)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail when a string has no translation; write nothing."
        )

    def handle(self, *args, check: bool = False, **options):
        messages = i18n.collect(PACKAGE)
        for lang, plural in CATALOGUES.items():
            path = PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"
            if check:
                _, entries = i18n.read_po(path)
                known = {e.key: e for e in entries}
                missing = [m for k, m in messages.items() if k not in known or not known[k].translated]
                if missing:
                    lines = "\n".join(f"  {m.locations[0]}: {m.msgid!r}" for m in missing[:60])
                    raise CommandError(f"{len(missing)} string(s) have no {lang} translation:\n{lines}")
                self.stdout.write(f"{lang}: all {len(messages)} strings translated")
                continue
            new, dropped, untranslated = i18n.write_po(path, messages, lang=lang, plural_forms=plural)
            self.stdout.write(
                f"{lang}: {len(messages)} strings, {new} new, {dropped} dropped, {len(untranslated)} untranslated"
            )

"""Re-encrypt every encrypted column under the first data key (after XIETONG_DATA_KEY changed).

Run it after putting a new key first in XIETONG_DATA_KEY (old keys after it); once it has
finished, the old keys can be dropped. ``--new-key`` prints a fresh random key and changes
nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from xietong.core.crypto import EncryptedTextField, generate_key


class Command(BaseCommand):
    help = "Re-encrypt the encrypted columns (robot addresses and secrets) under the first data key."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="Print a new random key and stop.")

    def handle(self, *args, new_key: bool = False, **options):
        if new_key:
            self.stdout.write(generate_key())
            return
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            rows = 0
            with transaction.atomic():
                manager = model._base_manager
                # Loading decrypts with any key; the update encrypts with the first one.
                for pk, *values in manager.select_for_update().values_list("pk", *fields):
                    manager.filter(pk=pk).update(**dict(zip(fields, values, strict=True)))
                    rows += 1
            if options["verbosity"]:
                self.stdout.write(f"{model._meta.label}: {rows} rows re-encrypted")

"""The table of the database cache ("accounts" in settings.CACHES), which counts password reset
requests for every page process alike. Django's own ``createcachetable`` makes it (and skips a
table that exists, so running this again is harmless)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_tasklease"),
    ]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]

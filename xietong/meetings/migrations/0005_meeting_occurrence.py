from django.db import migrations, models
from django.db.models import F


def fill_occurrence(apps, schema_editor):
    # Existing series meetings stand for the occurrence they are at now.
    Meeting = apps.get_model("meetings", "Meeting")
    Meeting.objects.filter(series__isnull=False, occurrence__isnull=True).update(occurrence=F("starts_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("meetings", "0004_meeting_ends_at_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="occurrence",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="series occurrence"),
        ),
        migrations.RunPython(fill_occurrence, migrations.RunPython.noop),
    ]

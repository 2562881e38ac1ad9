from django.db import migrations, models


class Migration(migrations.Migration):
    """The optimistic lock of minutes becomes the shared ``edit_version`` (xietong.core.optlock)."""

    dependencies = [
        ("minutes", "0002_minutesreceipt"),
    ]

    operations = [
        migrations.RenameField(model_name="minutes", old_name="version_lock", new_name="edit_version"),
        migrations.AlterField(
            model_name="minutes",
            name="edit_version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="edit version"),
        ),
    ]

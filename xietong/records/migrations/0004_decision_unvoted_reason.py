from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("records", "0003_attendance_late_from_signin")]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="unvoted_reason",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="reason for deciding without a vote"
            ),
        ),
    ]

"""Attendance typed in after a meeting had started was stored as "late" from the time it was
typed. Where the person's live sign-in (the attendance.recorded event written by the sign-in)
shows they signed in by the meeting's start, they were present: the row says so again, with
that sign-in time."""

from django.db import migrations


def present_where_the_signin_proves_it(apps, schema_editor):
    Attendance = apps.get_model("records", "Attendance")
    Event = apps.get_model("core", "Event")
    ContentType = apps.get_model("contenttypes", "ContentType")
    kind = ContentType.objects.filter(app_label="records", model="attendance").first()
    if kind is None:
        return
    late = Attendance.objects.filter(status="late").select_related("meeting")
    for attendance in late.iterator():
        signins = Event.objects.filter(
            name="attendance.recorded", subject_type=kind, subject_id=attendance.pk, data__via="signin"
        ).order_by("at")
        first = signins.values_list("at", flat=True).first()
        if first is not None and first <= attendance.meeting.starts_at:
            attendance.status = "present"
            attendance.signed_in_at = first
            attendance.save(update_fields=["status", "signed_in_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_itemrecord_edit_version"),
        ("core", "0004_tasklease"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(present_where_the_signin_proves_it, migrations.RunPython.noop)]

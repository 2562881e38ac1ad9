from django.contrib import admin

from .models import Attendance, Decision, ItemRecord


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    """Attendance is recorded on the meeting record; the admin only shows it."""

    list_display = ["meeting", "person", "status", "signed_in_at"]
    list_filter = ["status"]
    readonly_fields = [
        "meeting",
        "person",
        "status",
        "reason",
        "on_behalf_of",
        "signed_in_at",
        "recorded_by",
        "recorded_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(ItemRecord)
class ItemRecordAdmin(admin.ModelAdmin):
    list_display = ["agenda_item", "outcome", "updated_at"]
    list_filter = ["outcome"]
    readonly_fields = [
        "agenda_item",
        "notes",
        "outcome",
        "deferral_reason",
        "deferred_to",
        "recorded_by",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "department", "responsible", "due_on", "status"]
    list_filter = ["status", "allocates_resources"]
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from .models import Meeting, MeetingSeries, Notice, Rsvp


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(admin.ModelAdmin):
    """Series are configuration: recurrence, default place, host, recorder, who is invited."""

    list_display = ["name", "policy", "rrule", "start_time", "duration_minutes", "is_active"]
    list_filter = ["is_active", "policy"]
    search_fields = ["name"]
    autocomplete_fields = ["host", "recorder"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ["sequence", "published_at", "published_by", "is_emergency", "is_cancellation"]
    readonly_fields = fields


class RsvpInline(ReadOnlyInline):
    model = Rsvp
    fields = [
        "invitee",
        "invited_as",
        "department",
        "response",
        "delegate",
        "reason",
        "answered_at",
        "answered_late",
    ]
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings are scheduled, published, moved and cancelled on the meeting pages (with the
    ledger and the notices); the admin only shows them."""

    list_display = ["title", "starts_at", "status", "is_emergency", "series"]
    list_filter = ["status", "is_emergency", "series"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    inlines = [NoticeInline, RsvpInline]
    readonly_fields = [
        "series",
        "policy_version",
        "title",
        "starts_at",
        "ends_at",
        "location",
        "online_url",
        "host",
        "recorder",
        "status",
        "is_emergency",
        "emergency_reason",
        "ics_uid",
        "ics_sequence",
        "published_at",
        "cancelled_reason",
    ]

    def has_add_permission(self, request):
        return False

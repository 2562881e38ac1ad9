from django.contrib import admin

from .models import ActionItem, ProgressReport


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    """Action items are created from decisions and worked on in the product pages."""

    list_display = ["title", "department", "owner", "due_on", "status"]
    list_filter = ["status", "department"]
    readonly_fields = [f.name for f in ActionItem._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["action_item", "reporter", "status", "reported_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ProgressReport._meta.fields]

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from .models import Minutes


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ["meeting", "number", "status", "approved_at"]
    list_filter = ["status"]
    list_select_related = ["meeting"]
    raw_id_fields = ["meeting", "drafted_by", "approved_by"]
    readonly_fields = ["version_lock"]

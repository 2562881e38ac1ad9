from django.contrib import admin

from .models import Minutes, MinutesReceipt


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ["meeting", "number", "status", "approved_at"]
    list_filter = ["status"]
    list_select_related = ["meeting"]
    raw_id_fields = ["meeting", "drafted_by", "approved_by"]
    readonly_fields = ["edit_version"]


@admin.register(MinutesReceipt)
class MinutesReceiptAdmin(admin.ModelAdmin):
    list_display = ["minutes", "person", "delivered_at", "read_at"]
    list_select_related = ["minutes__meeting", "person"]
    raw_id_fields = ["minutes", "person"]

    def has_add_permission(self, request):
        # Receipts are written when minutes are approved, never by hand.
        return False

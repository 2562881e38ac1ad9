from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("at", "name", "actor", "subject_type", "subject_id")
    list_filter = ("name",)
    date_hierarchy = "at"
    raw_id_fields = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The audit trail is append-only.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

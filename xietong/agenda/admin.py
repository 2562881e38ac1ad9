from django.contrib import admin

from .models import Agenda, AgendaItem


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    can_delete = False
    fields = ["position", "kind", "title", "topic", "budget_minutes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Agenda)
class AgendaAdmin(admin.ModelAdmin):
    """Agendas are built and confirmed on the agenda builder page; the admin only shows them."""

    list_display = ["meeting", "status", "cap_minutes", "confirmed_at"]
    list_filter = ["status"]
    readonly_fields = ["meeting", "status", "cap_minutes", "confirmed_at", "updated_at"]
    inlines = [AgendaItemInline]

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from .models import Policy, PolicyVersion


class PolicyVersionInline(admin.TabularInline):
    """Versions are immutable: they are made on the policy page, with a reason, never here."""

    model = PolicyVersion
    extra = 0
    can_delete = False
    fields = ["number", "created_at", "created_by", "reason"]
    readonly_fields = fields
    ordering = ["-number"]
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "source"]
    search_fields = ["name", "key"]
    inlines = [PolicyVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # Deadlines and obligations refer to a policy by its key: fixed once created.
        return ["key"] if obj is not None else []

from django.contrib import admin

from .models import Obligation


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "clause",
        "responsible",
        "department",
        "due_at",
        "state",
        "closed_at",
        "reminded_step",
        "escalation_step",
    )
    list_filter = ("kind", "state")
    search_fields = ("clause", "responsible__full_name")
    raw_id_fields = ("responsible", "closed_by", "waived_by", "policy_version")
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        # Duties are opened by the services that create the work, never by hand.
        return False

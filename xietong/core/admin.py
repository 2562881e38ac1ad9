from django.contrib import admin
from django.utils.translation import gettext_noop

from .models import Event

# django-axes (login throttling, core/throttle.py) ships no Chinese catalogue: the words of its
# admin pages are translated in ours, and listed here so that the catalogue keeps them.
AXES_ADMIN_MESSAGES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)


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

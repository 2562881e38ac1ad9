from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Delivery, DepartmentRobot, Message, Preference


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "topic", "created_at", "read_at"]
    list_filter = ["topic"]
    raw_id_fields = ["event", "recipient"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "person", "channel", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state", "channel"]
    raw_id_fields = ["message", "person", "robot", "digest"]


@admin.register(DepartmentRobot)
class DepartmentRobotAdmin(admin.ModelAdmin):
    """Robots are added and changed on the department's robot page (validated, audited); the
    admin shows the address masked and whether a secret is set, never the credentials."""

    list_display = ["department", "kind", "masked_address", "is_active"]
    fields = ["department", "kind", "masked_address", "secret_set", "is_active", "next_slot_at", "updated_at"]
    readonly_fields = ["department", "kind", "masked_address", "secret_set", "next_slot_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("webhook address"))
    def masked_address(self, robot: DepartmentRobot) -> str:
        return robot.masked_url

    @admin.display(description=_("signing secret"), boolean=True)
    def secret_set(self, robot: DepartmentRobot) -> bool:
        return bool(robot.secret)


admin.site.register(Preference)

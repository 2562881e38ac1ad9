from django.contrib import admin

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
    list_display = ["department", "kind", "is_active"]
    exclude = ["secret"]


admin.site.register(Preference)

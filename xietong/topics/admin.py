from django.contrib import admin

from .models import Topic, TopicAttachment


class TopicAttachmentInline(admin.TabularInline):
    model = TopicAttachment
    extra = 0
    fields = ("name", "file", "size", "content_type", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "department", "status", "meeting", "priority", "budget_minutes", "created_at")
    list_filter = ("status", "category", "priority", "department")
    search_fields = ("title", "background")
    raw_id_fields = ("author", "meeting")
    filter_horizontal = ("departments_involved",)
    readonly_fields = ("tokens", "created_at", "updated_at", "submitted_at", "rollover_count")
    date_hierarchy = "created_at"
    inlines = [TopicAttachmentInline]

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from xietong.core.errors import Forbidden

from .accounts import person_send_activation
from .models import Delegation, Department, Organization, Person, RoleAssignment


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "work_start", "work_end"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "sort_order", "is_active"]
    list_filter = ["is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["department"]


class PersonCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Person
        fields = ("username",)


class PersonChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Person


@admin.register(Person)
class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = ["username", "full_name", "department", "title", "mobile", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "department"]
    list_select_related = ["department"]
    search_fields = ["username", "full_name", "mobile", "email"]
    ordering = ["full_name", "id"]
    autocomplete_fields = ["department"]
    inlines = [RoleAssignmentInline]
    actions = ["send_activation"]

    @admin.action(description=_("Send activation links to the selected people who have never logged in"))
    def send_activation(self, request, queryset):
        try:
            report = person_send_activation(actor=request.user, now=timezone.now(), people=queryset)
        except Forbidden as err:
            self.message_user(request, str(err), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "Activation link sent to %(count)d person.",
                "Activation links sent to %(count)d people.",
                len(report.sent),
            )
            % {"count": len(report.sent)},
            messages.SUCCESS if report.sent else messages.WARNING,
        )
        if report.skipped:
            self.message_user(
                request,
                _("Skipped (disabled, no e-mail address, or logged in before): %(names)s")
                % {"names": "、".join(str(p) for p in report.skipped)},
                messages.WARNING,
            )
        if report.failed:
            self.message_user(
                request,
                _("The mail server did not accept the mail for: %(names)s. Try again later.")
                % {"names": "、".join(str(p) for p in report.failed)},
                messages.ERROR,
            )

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "department", "title", "mobile", "email")}),
        (_("Messaging accounts"), {"fields": ("wecom_userid", "dingtalk_userid", "feishu_userid")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "department",
                    "mobile",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "department", "rank"]
    list_filter = ["role", "department"]
    list_select_related = ["person", "department"]
    search_fields = ["person__full_name", "person__username"]
    autocomplete_fields = ["person", "department"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["principal", "delegate", "starts_on", "ends_on", "reason"]
    list_select_related = ["principal", "delegate"]
    date_hierarchy = "starts_on"
    search_fields = ["principal__full_name", "delegate__full_name"]
    autocomplete_fields = ["principal", "delegate"]

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core import uploads
from xietong.core.errors import DomainError
from xietong.core.forms import IsoDateInput
from xietong.core.params import IdModelChoiceField

from .models import Person

MAX_ROSTER_BYTES = 5 * 1024 * 1024


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "Excel (.xlsx) or CSV, header in row 1: 部门, 上级部门, 姓名, 职务, 手机, 邮箱, 角色, "
            "and optionally 账号, 企业微信, 钉钉, 飞书."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 5 MB)."))
        try:
            uploads.check_content(upload, name=upload.name)
        except DomainError as err:
            raise forms.ValidationError(str(err), code=err.code) from None
        return upload


class _PersonChoice(IdModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        where = f" · {obj.department.name}" if obj.department_id else ""
        return f"{obj.full_name or obj.username}{where}"


class DelegationForm(forms.Form):
    """The coordinator picks both people; a head delegates their own roles (no principal field)."""

    principal = _PersonChoice(label=_("Who delegates"), queryset=Person.objects.none())
    delegate = _PersonChoice(label=_("Delegate"), queryset=Person.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=IsoDateInput)
    ends_on = forms.DateField(label=_("Until (inclusive)"), widget=IsoDateInput)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, delegates=None, with_principal: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = (
            Person.objects.filter(is_active=True).select_related("department").order_by("full_name", "id")
        )
        if with_principal:
            self.fields["principal"].queryset = everyone
        else:
            del self.fields["principal"]
        if delegates is None:
            self.fields["delegate"].queryset = everyone
        else:
            self.fields["delegate"].queryset = everyone.filter(pk__in=[p.pk for p in delegates])

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end must not be before the start."))
        principal, delegate = data.get("principal"), data.get("delegate")
        if principal is not None and delegate is not None and principal.pk == delegate.pk:
            self.add_error("delegate", _("A person cannot delegate to themselves."))
        return data

"""Forms of the request pages. They parse; the services validate and authorise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.params import IdModelChoiceField
from xietong.org.models import Department

from .models import RefusalCategory, RequestType


class SubmitForm(forms.Form):
    request_type = IdModelChoiceField(
        label=_("Request type"), queryset=RequestType.objects.filter(is_active=True).order_by("name")
    )
    to_department = IdModelChoiceField(
        label=_("Receiving department"), queryset=Department.objects.order_by("sort_order", "name")
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    content = forms.CharField(
        label=_("What is needed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    support_needed = forms.CharField(label=_("Support needed"), max_length=500, required=False)
    expected_by = forms.DateField(
        label=_("Expected completion"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AcceptForm(forms.Form):
    committed_by = forms.DateField(
        label=_("Committed completion"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("Needed when the committed date is later than the requester asked for."),
    )


class RefuseForm(forms.Form):
    category = forms.ChoiceField(label=_("Refusal category"), choices=RefusalCategory.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    to_department = IdModelChoiceField(
        label=_("Hand on to"), queryset=Department.objects.order_by("sort_order", "name")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DeliverForm(forms.Form):
    note = forms.CharField(
        label=_("What was delivered"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating of the help"), choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still missing"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class EmptyForm(forms.Form):
    pass


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": AcceptForm,
    "refuse": RefuseForm,
    "reassign": ReassignForm,
    "withdraw": EmptyForm,
    "deliver": DeliverForm,
    "confirm": ConfirmForm,
    "reopen": ReopenForm,
}

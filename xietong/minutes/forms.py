"""Forms of the minutes pages. They parse; the services validate and authorise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import VersionedForm

from .models import MAX_BODY, Minutes

MAX_COMMENT = Minutes._meta.get_field("return_comment").max_length
MAX_REASON = Minutes._meta.get_field("correction_reason").max_length


class SaveForm(VersionedForm):
    body = forms.CharField(
        label=_("Text of the minutes"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 24}),
        strip=False,
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments for the recorder"), max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3})
    )


class CorrectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=MAX_REASON)


class ArchiveForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    month = forms.IntegerField(min_value=1, max_value=12, required=False)


class PasteForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes pasted from WPS or Word"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Action items are read from lines written as [task](负责人:name,截止日期:YYYY-MM-DD)."),
    )

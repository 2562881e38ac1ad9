from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core import uploads
from xietong.core.errors import DomainError
from xietong.core.optlock import VersionedForm

MAX_POLICY_BYTES = 256 * 1024
MAX_POLICY_TEXT = 100_000


class PolicyEditForm(VersionedForm):
    """A new version of a policy: the TOML text (or an uploaded .toml file, which wins) and why.

    Its edit version is the number of the version the coordinator started from.
    """

    text = forms.CharField(
        label=_("Rules (TOML)"),
        required=False,
        strip=False,
        max_length=MAX_POLICY_TEXT,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "style": "font-family: monospace"}),
    )
    upload = forms.FileField(
        label=_("Or upload a .toml file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".toml"}),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Shown in the version history, e.g. the decision that changed the regulation."),
    )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        if not (upload.name or "").lower().endswith(".toml"):
            raise forms.ValidationError(_("Upload a .toml file."))
        if upload.size > MAX_POLICY_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 256 KB)."))
        try:
            uploads.check_content(upload, name=upload.name)
        except DomainError as err:
            raise forms.ValidationError(str(err), code=err.code) from None
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def clean(self):
        data = super().clean()
        uploaded = data.get("upload")
        if uploaded:
            data["text"] = uploaded
        elif (
            not (data.get("text") or "").strip() and "text" not in self.errors and "upload" not in self.errors
        ):
            self.add_error("text", _("Paste the rules or upload a file."))
        return data


class CalendarOverrideForm(forms.Form):
    KIND_CHOICES = [
        ("closed", _("Closed (an extra day off)")),
        ("working", _("Working day")),
        ("none", _("As the official calendar says")),
    ]

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("This day is"), choices=KIND_CHOICES)

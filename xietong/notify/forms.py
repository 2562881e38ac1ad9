from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import VersionedForm

from .models import ROBOT_CHANNELS


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("E-mail me each notification"), required=False)
    robots = forms.BooleanField(label=_("Mention me in my department's group chat"), required=False)
    daily_digest = forms.BooleanField(
        label=_("Daily digest"),
        required=False,
        help_text=_("One e-mail a day with the day's notifications instead of one e-mail each."),
    )


class RobotForm(VersionedForm):
    """Add a robot (edit version 0) or change the one of ``kind`` (its edit version)."""

    kind = forms.ChoiceField(label=_("Chat app"), choices=[(c.value, c.label) for c in ROBOT_CHANNELS])
    webhook_url = forms.CharField(label=_("Webhook address"), max_length=500)
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk and Feishu robots with signing on. Leave empty to keep the stored secret."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

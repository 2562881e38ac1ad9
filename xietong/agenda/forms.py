from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import VersionedForm


class BudgetForm(VersionedForm):
    budget_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600)


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Why it is taken off"), max_length=300)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])

"""Forms of the action-item pages. They parse; the services validate and authorise."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import IsoDateInput
from xietong.core.params import IdField, IdModelChoiceField, parse_id
from xietong.org.models import Department

from .models import ActionItem, ProgressReport


class ActionFilterForm(forms.Form):
    """The coordinator's filters (GET)."""

    department = IdModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *ActionItem.Status.choices], required=False
    )
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        choices=[("", "—"), ("yes", _("Overdue only")), ("no", _("Not overdue"))],
        required=False,
    )
    meeting = IdField(label=_("Meeting number"), required=False)
    # Set by the "more" link under an agenda's follow-up: the items of one meeting series.
    series = IdField(required=False, widget=forms.HiddenInput)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=IsoDateInput)
    due_to = forms.DateField(label=_("Due until"), required=False, widget=IsoDateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and start > end:
            self.add_error("due_to", _("The end of the range is before its start."))
        return data


def parse_key(raw: str) -> tuple[date, int] | None:
    """``"2026-03-20_17"`` → (date(2026, 3, 20), 17); anything else → None."""
    day, _sep, pk = raw.partition("_")
    number = parse_id(pk)
    try:
        return (date.fromisoformat(day), number) if number is not None else None
    except ValueError:
        return None


def format_key(key: tuple[date, int]) -> str:
    return f"{key[0].isoformat()}_{key[1]}"


class CompleteForm(forms.Form):
    evidence = forms.CharField(
        label=_("Evidence of completion"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and where the result can be found."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Progress"), choices=ProgressReport.Status.choices)
    reason = forms.CharField(
        label=_("Reason for the delay"),
        max_length=300,
        required=False,
        help_text=_("Required when the item is delayed."),
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

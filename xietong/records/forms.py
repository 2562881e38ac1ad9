"""Forms of the meeting-record page. They parse; the services validate and authorise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import IsoDateInput
from xietong.core.optlock import VersionedForm
from xietong.core.params import IdModelChoiceField
from xietong.org.models import Department, Person

from .models import Attendance, Decision, ItemRecord


class PersonChoice(IdModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return obj.full_name or obj.username


class AttendanceRowForm(forms.Form):
    """One invitee's row of the attendance table (prefix ``a<invitee id>``). No choice = not
    confirmed: the row is left as it is. ``delegates`` are (pk, name) pairs offered for
    "a delegate came"."""

    status = forms.ChoiceField(
        label=_("Attendance"),
        required=False,
        choices=[
            ("", _("Not confirmed")),
            (Attendance.Status.PRESENT, Attendance.Status.PRESENT.label),
            (Attendance.Status.LATE, Attendance.Status.LATE.label),
            ("delegate", _("A delegate came")),
            (Attendance.Status.ABSENT, Attendance.Status.ABSENT.label),
        ],
    )
    reason = forms.CharField(label=_("Reason for absence"), max_length=300, required=False)
    delegate = forms.TypedChoiceField(label=_("Delegate"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, delegates: list[tuple[int, str]], who: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].choices = [("", "—"), *delegates]
        # The table has one header per column: each input says whose row it is to a screen reader.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{who} · {field.label}" if who else str(field.label)


class ItemRecordForm(VersionedForm):
    """The recorder's notes and outcome of one item; ``version`` 0 while it has no record."""

    notes = forms.CharField(
        label=_("Discussion notes"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ItemRecord.Outcome.choices)
    reason = forms.CharField(
        label=_("Why it was deferred"),
        max_length=300,
        required=False,
        help_text=_("Required when the item is deferred."),
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    agenda_item = forms.TypedChoiceField(label=_("Agenda item"), coerce=int, required=False, empty_value=None)
    department = IdModelChoiceField(
        label=_("Responsible department"), queryset=Department.objects.filter(is_active=True).order_by("name")
    )
    responsible = PersonChoice(
        label=_("Responsible person"),
        queryset=Person.objects.filter(is_active=True).order_by("full_name", "id"),
    )
    due_on = forms.DateField(label=_("Deadline"), widget=IsoDateInput)
    allocates_resources = forms.BooleanField(
        label=_("Allocates resources across departments"), required=False
    )
    resource_kind = forms.ChoiceField(
        label=_("Resource"), choices=[("", "—"), *Decision.ResourceKind.choices], required=False
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, required=False)
    # Shown only where the policy records decisions without a passed vote with a reason.
    unvoted_reason = forms.CharField(
        label=_("Decided without a vote: the host's reason"), max_length=300, required=False
    )

    def __init__(self, *args, items: list[tuple[int, str]], unvoted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", "—"), *items]
        if not unvoted:
            del self.fields["unvoted_reason"]


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

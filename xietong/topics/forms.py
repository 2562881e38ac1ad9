"""Forms of the topic pages: drafting, the action forms, the list filter."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import VersionedForm
from xietong.core.params import IdModelChoiceField, IdModelMultipleChoiceField
from xietong.meetings.models import MeetingSeries
from xietong.org.models import Department

from .models import Topic
from .services import OPTIONAL_TEXT, REQUIRED_TEXT

SIX_FIELDS = (
    "title",
    "background",
    "collaboration_need",
    "departments_involved",
    "expected_outcome",
    "initial_solution",
)
W_FIELDS = OPTIONAL_TEXT


class TopicForm(VersionedForm, forms.ModelForm):
    """The 第六条 fields (required) and the optional 5W1H analysis.

    ``departments`` are the departments the author may draft for (their liaison roles): the
    choice is shown only when there are several. ``series`` likewise (shown when several
    series are active). The topic's own department is implied; at least one department
    involved must be chosen.
    """

    department = IdModelChoiceField(queryset=Department.objects.none(), label=_("Department"), required=True)
    series = IdModelChoiceField(queryset=None, label=_("Meeting series"), required=True)

    class Meta:
        model = Topic
        fields = [*SIX_FIELDS, *W_FIELDS]
        field_classes = {"departments_involved": IdModelMultipleChoiceField}
        widgets = {
            "background": forms.Textarea(attrs={"rows": 4}),
            "collaboration_need": forms.Textarea(attrs={"rows": 3}),
            "expected_outcome": forms.Textarea(attrs={"rows": 3}),
            "initial_solution": forms.Textarea(attrs={"rows": 3}),
            "departments_involved": forms.CheckboxSelectMultiple,
            **{name: forms.Textarea(attrs={"rows": 2}) for name in W_FIELDS},
        }
        help_texts = {
            "title": _("One line that says what needs deciding."),
            "departments_involved": _("Your own department is implied; choose the others this needs."),
            "w_what": _("What is the problem?"),
            "w_who": _("Who is affected, who should act?"),
            "w_when": _("When did it start, by when must it be solved?"),
            "w_where": _("Where does it happen?"),
            "w_why": _("Why does it happen?"),
            "w_how": _("How could it be solved?"),
        }

    def __init__(self, *args, departments=None, series=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments_involved"].queryset = Department.objects.filter(is_active=True)
        self.fields["departments_involved"].required = True
        self.fields["departments_involved"].error_messages["required"] = _(
            "Name at least one department this topic involves."
        )
        for name in REQUIRED_TEXT:
            self.fields[name].required = True
            self.fields[name].strip = True
        if self.instance.pk:
            # Department and series are fixed once drafted.
            del self.fields["department"]
            del self.fields["series"]
            self._exclude_own(self.instance.department_id)
            return
        departments = list(departments or [])
        if len(departments) == 1:
            self._exclude_own(departments[0].pk)
        self.fields["department"].queryset = Department.objects.filter(pk__in=[d.pk for d in departments])
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].pk
            self.fields["department"].widget = forms.HiddenInput()
        series_qs = series if series is not None else MeetingSeries.objects.filter(is_active=True)
        self.fields["series"].queryset = series_qs
        series_list = list(series_qs)
        if len(series_list) == 1:
            self.fields["series"].initial = series_list[0].pk
            self.fields["series"].widget = forms.HiddenInput()
        # Put the (possibly visible) department and series choices first.
        self.order_fields(["department", "series", *SIX_FIELDS, *W_FIELDS])

    def _exclude_own(self, department_id: int) -> None:
        """The topic's own department is implied, so it is not offered as "involved"."""
        field = self.fields["departments_involved"]
        field.queryset = field.queryset.exclude(pk=department_id)

    def text_values(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in (*REQUIRED_TEXT, *W_FIELDS)}


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        max_length=Topic._meta.get_field("head_comment").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = required
        if not required:
            self.fields["comment"].label = _("Comment (optional)")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Topic._meta.get_field("coordinator_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, label: str | None = None, **kwargs):
        # The coordinator's panel shows two reason boxes side by side; each says what it is for.
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["reason"].label = label


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=Topic._meta.get_field("deferral_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TriageForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Topic.Category.choices])
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=[("", "—"), *Topic.Priority.choices]
    )
    budget_minutes = forms.IntegerField(label=_("Time budget (minutes)"), min_value=1)

    def __init__(self, *args, default_budget: int, cap: int | None, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["budget_minutes"]
        field.initial = default_budget
        if cap is not None:
            field.max_value = cap
            field.widget.attrs["max"] = cap
            field.validators.append(MaxValueValidator(cap))
        field.widget.attrs["min"] = 1
        field.help_text = help_text


class FilterForm(forms.Form):
    """The list filters; invalid values are ignored rather than failing the page."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Topic.Status.choices]
    )
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    meeting = forms.TypedChoiceField(label=_("Meeting"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, departments, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All")), *((d.pk, d.name) for d in departments)]
        self.fields["meeting"].choices = [("", _("All")), *((m.pk, m.title) for m in meetings)]

    def value(self, name: str):
        """The cleaned value of filter ``name``, or None when absent or invalid."""
        if not self.is_bound:
            return None
        self.is_valid()
        if name in self.errors:
            return None
        return self.cleaned_data.get(name) or None


class AttachmentForm(forms.Form):
    """One file for the topic's materials; type, size and count are checked by the service."""

    file = forms.FileField(label=_("File"), max_length=None, allow_empty_file=True)

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed:
            self.fields["file"].widget.attrs["accept"] = ",".join(allowed)
            self.fields["file"].help_text = _("Allowed: %(allowed)s") % {"allowed": " ".join(allowed)}

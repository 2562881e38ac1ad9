from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.params import IdModelChoiceField
from xietong.org.models import Person
from xietong.policy.calendar import SHANGHAI

from .models import MeetingSeries, Rsvp


class ShanghaiDateTimeField(forms.DateTimeField):
    """A <input type=datetime-local> read as Asia/Shanghai wall-clock time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            for fmt in self.input_formats:
                try:
                    return datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)
                except ValueError:
                    continue
            if not value:
                return None
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PersonChoice(IdModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        where = f" · {obj.department.name}" if obj.department_id else ""
        return f"{obj.full_name or obj.username}{where}"


class RsvpForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (Rsvp.Response.ATTEND, Rsvp.Response.ATTEND.label),
            (Rsvp.Response.DELEGATE, Rsvp.Response.DELEGATE.label),
            (Rsvp.Response.ABSENT, Rsvp.Response.ABSENT.label),
        ],
        widget=forms.RadioSelect,
    )
    delegate = PersonChoice(
        label=_("Who attends for you"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("Only when sending a delegate."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you cannot attend."),
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["delegate"].queryset = candidates


class EmergencyMeetingForm(forms.Form):
    series = IdModelChoiceField(
        label=_("Rules and participants of"),
        queryset=MeetingSeries.objects.none(),
        help_text=_("The emergency meeting follows this series' regulation, host and recorder."),
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = ShanghaiDateTimeField(label=_("Starts"))
    duration_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=1, max_value=24 * 60)
    location = forms.CharField(label=_("Place"), max_length=120, required=False)
    reason = forms.CharField(
        label=_("Why it is urgent"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = MeetingSeries.objects.filter(is_active=True).order_by("name", "id")


class RescheduleForm(forms.Form):
    starts_at = ShanghaiDateTimeField(label=_("New start"))
    location = forms.CharField(label=_("Place"), max_length=120, required=False)
    # Set by the confirm step: the coordinator has seen what the change does (replies reset …).
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the meeting is cancelled"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class PublishForm(forms.Form):
    emergency = forms.BooleanField(
        label=_("Emergency meeting (publish after the notice deadline)"), required=False
    )
    emergency_reason = forms.CharField(
        label=_("Why it is an emergency"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

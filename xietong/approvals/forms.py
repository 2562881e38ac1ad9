"""Forms of the approval pages. They parse; the services validate and authorise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.params import IdModelChoiceField, IdModelMultipleChoiceField
from xietong.org.models import Person
from xietong.policy.models import Policy

from .definition import Definition


class PersonChoice(IdModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        dept = f" · {obj.department}" if obj.department_id else ""
        return f"{obj.full_name or obj.username}{dept}"


class PolicyChoice(IdModelChoiceField):
    def label_from_instance(self, obj: Policy) -> str:
        return obj.name


_DEFINITION_HELP = _(
    "TOML: [[fields]] (name, label, type = amount / text / department) and [[steps]] (key, name, "
    "approver = applicant_head / department_head / chair / committee / person / group, mode = any "
    '(或签) or all (会签), when = { field = "amount", at_least = "approval_finance_threshold" }); '
    "return_to names the step a returned approval restarts at; transfer = true allows transfers."
)


class TemplateCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    key = forms.SlugField(label=_("Key"), max_length=60)
    policy = PolicyChoice(label=_("Regulation"), queryset=Policy.objects.order_by("name"))
    text = forms.CharField(
        label=_("Form and route"), widget=forms.Textarea(attrs={"rows": 24}), help_text=_DEFINITION_HELP
    )


class TemplateEditForm(forms.Form):
    text = forms.CharField(
        label=_("Form and route"), widget=forms.Textarea(attrs={"rows": 24}), help_text=_DEFINITION_HELP
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


class ApplyForm(forms.Form):
    """The template's form: a title, the amount (as text: the service says what is wrong with
    it) and its text fields."""

    title = forms.CharField(label=_("Title"), max_length=120)

    def __init__(self, *args, definition: Definition, **kwargs):
        super().__init__(*args, **kwargs)
        for f in definition.fields:
            if f.type == "amount":
                self.fields[f.name] = forms.CharField(
                    label=f.label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            elif f.type == "text":
                self.fields[f.name] = forms.CharField(
                    label=f.label, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
                )


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class TransferForm(forms.Form):
    to = PersonChoice(
        label=_("Hand over to"), queryset=Person.objects.filter(is_active=True).select_related("department")
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class EmergencyForm(ApplyForm):
    """An emergency decision, and the form of the template that ratifies it (its title is the
    urgent matter)."""

    def __init__(self, *args, definition: Definition, **kwargs):
        super().__init__(*args, definition=definition, **kwargs)
        del self.fields["title"]
        people = Person.objects.filter(is_active=True).select_related("department")
        extra: dict[str, forms.Field] = {
            "matter": forms.CharField(label=_("Urgent matter"), max_length=120),
            "reason": forms.CharField(
                label=_("Why it could not wait"), required=False, widget=forms.Textarea(attrs={"rows": 3})
            ),
            "group": PersonMultipleChoice(label=_("Temporary group"), queryset=people, required=False),
            "consulted": PersonMultipleChoice(label=_("Consulted"), queryset=people, required=False),
            "consultation": forms.CharField(
                label=_("Views heard"), required=False, widget=forms.Textarea(attrs={"rows": 3})
            ),
            "decision": forms.CharField(
                label=_("Decision"), required=False, widget=forms.Textarea(attrs={"rows": 4})
            ),
            "executed": forms.BooleanField(label=_("Carried out at once"), required=False),
        }
        self.fields = {**extra, **self.fields}


class PersonMultipleChoice(IdModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        dept = f" · {obj.department}" if obj.department_id else ""
        return f"{obj.full_name or obj.username}{dept}"

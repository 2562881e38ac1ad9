"""Forms of the live room's HTTP pages. They parse; the services validate and authorise."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.records.forms import DecisionForm


class ManualSigninForm(forms.Form):
    """The recorder signs someone in by hand. ``people``: (pk, name) of invitees and delegates."""

    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    on_behalf_of = forms.TypedChoiceField(
        label=_("Attends for"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, people: list[tuple[int, str]], invitees: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people
        self.fields["on_behalf_of"].choices = [("", _("Themselves")), *invitees]


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Guest's name"), max_length=60)
    note = forms.CharField(label=_("Note (e.g. organisation, why)"), max_length=200, required=False)


class SigninForm(forms.Form):
    """A delegate who replaces more than one invitee chooses whom they attend for."""

    on_behalf_of = forms.TypedChoiceField(
        label=_("Attends for"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, seats: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_behalf_of"].choices = [("", "—"), *(seats or [])]


class VoteDecisionForm(DecisionForm):
    """A passed vote recorded as a decision: the agenda item is the vote's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, items=[], **kwargs)
        del self.fields["agenda_item"]

"""Forms of the duty pages."""

from __future__ import annotations

from django import forms


class WaiveForm(forms.Form):
    """The coordinator's reason for waiving a duty.

    Only the request's shape is checked here (a CharField refuses NUL, which PostgreSQL cannot
    store in text); the service checks that a reason is given and its length.
    """

    reason = forms.CharField(required=False, strip=False)

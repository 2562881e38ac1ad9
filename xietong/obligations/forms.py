"""Forms of the duty pages."""

from __future__ import annotations

from datetime import datetime

from django import forms

from xietong.core.params import parse_id


class WaiveForm(forms.Form):
    """The coordinator's reason for waiving a duty.

    Only the request's shape is checked here (a CharField refuses NUL, which PostgreSQL cannot
    store in text); the service checks that a reason is given and its length.
    """

    reason = forms.CharField(required=False, strip=False)


def parse_key(raw: str) -> tuple[datetime, int] | None:
    """The ``after=`` of a department's list of board duties: "<due, ISO 8601 with offset>_<id>"
    of the last duty shown → (due, id); anything else → None."""
    due, _sep, pk = raw.rpartition("_")
    number = parse_id(pk)
    try:
        due_at = datetime.fromisoformat(due)
    except ValueError:
        return None
    return (due_at, number) if number is not None and due_at.tzinfo is not None else None


def format_key(key: tuple[datetime, int]) -> str:
    return f"{key[0].isoformat()}_{key[1]}"

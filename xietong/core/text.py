"""Checking text typed by a person: trimmed, present when required, within its column's limit.

Every service that stores free text goes through ``clean_field``, so the refusals read the
same everywhere and name the form field they belong to.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .errors import DomainError

ERR_NUL = _("This text contains a character that is not allowed.")
ERR_REQUIRED = _("This field is required.")
ERR_TOO_LONG = _("Keep this under %(max)s characters (it has %(length)s).")


def clean_field(value: object, *, field: str, max_length: int, required: bool) -> str:
    """``value`` trimmed; refused (``DomainError`` on ``field``) when it holds a NUL character
    (PostgreSQL cannot store it), is empty but required, or is longer than ``max_length``.

    Anything that is not text (``None``, a number sent by a client) counts as empty.
    """
    text = value.strip() if isinstance(value, str) else ""
    if "\x00" in text:
        raise DomainError(ERR_NUL, code="invalid", field=field)
    if required and not text:
        raise DomainError(ERR_REQUIRED, code="required", field=field)
    if len(text) > max_length:
        raise DomainError(
            ERR_TOO_LONG, code="too_long", field=field, params={"max": max_length, "length": len(text)}
        )
    return text

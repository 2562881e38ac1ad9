"""Numbers read from paths, query strings and forms: canonical and in range, or nothing.

``int()`` takes ``"1_000"``, ``" 7"``, ``"+7"`` and any length of digits; the databases take
64-bit integers. A number that reaches a query must be plain ASCII digits without a leading
zero and fit a 64-bit column, or the database (or its driver) fails with a 5xx. Everything a
view parses from the request goes through here: the ``id`` path converter, ``parse_int`` /
``parse_id`` for query parameters and cursors, and the id form fields.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1  # the largest value of a 64-bit integer column (SQLite INTEGER, PostgreSQL bigint)

_CANONICAL = re.compile(r"(?:0|[1-9][0-9]{0,18})")


def parse_int(raw: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``raw`` as an int when it is canonical ASCII digits within [minimum, maximum]; else None."""
    if not isinstance(raw, str) or not _CANONICAL.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def parse_id(raw: object) -> int | None:
    """A row id (1 … 2⁶³-1) from the request, or None for anything else."""
    return parse_int(raw, minimum=1)


class IdConverter:
    """The ``<id:…>`` path converter: a row id, never 0, never past 64 bits (404 otherwise)."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the pattern does not match: 404
        return number

    def to_url(self, value) -> str:
        return str(value)


class IdField(forms.IntegerField):
    """An integer form field for row ids: 1 … 2⁶³-1, so an overlong number is a field error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def _refuse_non_ids(field: forms.ModelChoiceField, values) -> None:
    if (field.to_field_name or "pk") != "pk":
        return
    for value in values:
        if value in field.empty_values or isinstance(value, field.queryset.model):
            continue
        if parse_id(str(value)) is None:
            raise ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )


class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses a value that is no row id before asking the database."""

    def to_python(self, value):
        _refuse_non_ids(self, [value])
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses values that are no row ids before asking the
    database (an ``IN`` with a number past 64 bits fails on SQLite)."""

    def _check_values(self, value):
        try:
            values = frozenset(value)
        except TypeError:
            values = frozenset()  # the parent refuses it with its own message
        _refuse_non_ids(self, values)
        return super()._check_values(value)

"""Choice labels by value in the active language, for pages that show one per row.

A lazy choice label costs a catalogue lookup every time it is shown, and Django's generated
``get_FOO_display`` hashes every label of the field on each call; lists look labels up here
instead: once per process, choices class and language.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils import translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def choice_labels(choices) -> dict[str, str]:
    """``{value: label}`` of a ``TextChoices`` class in the active language."""
    return _labels(choices, translation.get_language() or "")


@lru_cache(maxsize=64)
def _labels(choices, language: str) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


class ChoiceLabels:
    """Model mixin: ``get_FOO_display()`` from the field's labels worked out once per process,
    field and language (Django's looks every label of the field up again on each call).
    The same text for every value, and a value outside the choices shown as stored."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            return _field_labels(field, translation.get_language() or "").get(value, value)
        except TypeError:  # an unhashable value: Django's way
            return super()._get_FIELD_display(field)


@lru_cache(maxsize=256)
def _field_labels(field, language: str) -> dict:
    return {value: force_str(label, strings_only=True) for value, label in make_hashable(field.flatchoices)}

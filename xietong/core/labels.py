"""Choice labels by value in the active language, for pages that show one per row.

Lists look labels up here once per process, choices class and language.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils import translation


def choice_labels(choices) -> dict[str, str]:
    """``{value: label}`` of a ``TextChoices`` class in the active language."""
    return _labels(choices, translation.get_language() or "")


@lru_cache(maxsize=64)
def _labels(choices, language: str) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}

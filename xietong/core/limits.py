"""Length limits that services check before saving, read from the models themselves."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of ``model``'s field ``name``; a field without one is a programming error."""
    field = model._meta.get_field(name)
    length = field.max_length if isinstance(field, models.Field) else None
    if length is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length

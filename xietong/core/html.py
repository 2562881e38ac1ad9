"""Helpers for the rows the hot lists write in Python rather than in their templates.

A list of fifty rows has two hundred texts to escape; ``markupsafe.escape`` called on each costs
ten times escaping them joined into one string and split again, which gives the same texts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.utils import timezone
from markupsafe import escape

_SEP = "\x00"


def escape_all(texts: Iterable[str]) -> list[str]:
    """Each of ``texts`` (plain strings) escaped exactly as ``markupsafe.escape`` escapes it.

    They are joined with NUL, escaped in one pass and split at NUL again: escaping leaves NUL
    as it is and never writes one. A text holding NUL itself (Django's forms refuse it and
    PostgreSQL cannot store it, but another writer could), or a value that is not a plain
    string (already markup, a number, None), sends the whole list the slow way, one call each.
    """
    texts = list(texts)
    if not texts:
        return []
    if all(type(text) is str for text in texts):
        joined = _SEP.join(texts)
        if joined.count(_SEP) == len(texts) - 1:  # no text holds NUL itself
            return str(escape(joined)).split(_SEP)
    return [str(escape(text)) for text in texts]


def escaped(labels: dict[str, str]) -> dict[str, str]:
    """Choice labels (core.labels.choice_labels) escaped, for a page that shows them per row."""
    return {value: escape(label) for value, label in labels.items()}


def local_times() -> Callable[[datetime | None], str]:
    """The ``localtime`` filter (core.jinja) for the rows of one page: the active time zone
    looked up once, and each distinct moment (a meeting's reply duties share their deadline)
    formatted once. None shows as an empty text."""
    tz, done = timezone.get_current_timezone(), {}

    def shown(value: datetime | None) -> str:
        if value is None:
            return ""
        text = done.get(value)
        if text is None:
            text = done[value] = value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return text

    return shown

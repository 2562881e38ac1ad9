"""Escaping the texts of rows written in Python (the hot lists), all at once.

A list of fifty rows has two hundred texts to escape; ``markupsafe.escape`` called on each costs
ten times escaping them joined into one string and split again, which gives the same texts.
"""

from __future__ import annotations

from collections.abc import Iterable

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

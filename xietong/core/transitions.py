"""Transition tables: for each step on a stateful object, the states it may start from and who may take it.

Each stateful model's service module holds one table, ``action -> Step(states, role)``. The
service refuses a step from any other state with ``refuse_unless``; the page offers exactly the
steps ``allowed_actions`` returns for the viewer, so a button shows exactly when the step would be
accepted. The roles are the owning app's words (e.g. "recorder", "host"); the app says who
holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from django.utils.functional import Promise

from .errors import DomainError


class Step(NamedTuple):
    states: frozenset[str]
    role: str


Table = Mapping[str, Step]


def step(states: Iterable[str], role: str) -> Step:
    return Step(frozenset(states), role)


def allowed_actions(
    table: Table, status: str, holds: Callable[[str], bool], actions: Iterable[str] = ()
) -> list[str]:
    """The steps (of ``actions``, default: all of the table, in its order) whose states include
    ``status`` and whose role the viewer holds (``holds(role)``)."""
    return [a for a in (actions or table) if status in table[a].states and holds(table[a].role)]


def refuse_unless(
    table: Table, action: str, current: str, message: str | Promise, /, *, code: str = "wrong_state", **params
) -> None:
    """Raise ``DomainError(message % params)`` unless ``action`` may start from the ``current`` state."""
    if current not in table[action].states:
        raise DomainError(message, code=code, params=params or None)


def sole_state(table: Table, action: str) -> str:
    """The one state ``action`` starts from, for set-based updates that filter on it
    (``state = …`` keeps a partial index on that state usable)."""
    (state,) = table[action].states
    return state

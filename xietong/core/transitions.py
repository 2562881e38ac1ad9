"""Transition tables: for each step on a stateful object, the states it may start from and who may take it.

Each stateful model's service module holds one table, ``action -> Step(states, role)``. The
service refuses a step from any other state with ``refuse_unless``; the page offers exactly the
steps ``allowed_actions`` returns for the viewer, so a button shows exactly when the step would be
accepted. The roles are the owning app's words (e.g. "recorder", "host"); the app says who
holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from django.db.models import Model, QuerySet
from django.utils.functional import Promise

from .errors import DomainError


class Step(NamedTuple):
    states: frozenset[str]
    role: str


Table = Mapping[str, Step]
M = TypeVar("M", bound=Model)


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


def locked(
    source: type[M] | QuerySet[M],
    pk: Any,
    table: Table | None = None,
    action: str = "",
    message: str | Promise = "",
    /,
    *,
    code: str = "wrong_state",
    refusals: Mapping[str, tuple[str | Promise, str]] | None = None,
    field: str = "status",
) -> M:
    """Row ``pk`` of ``source`` (a model, or a queryset with the caller's ``select_related``),
    locked until the transaction ends; with ``table``, refused unless ``action`` may start from
    the locked row's ``status`` (read under the lock: a step taken meanwhile by someone else
    counts).

    The refusal is ``DomainError(message, code=code)``; ``message`` may name the state as
    ``%(status)s`` (its label); ``refusals`` gives a state its own message and code.
    Refused or not, nothing is written here.
    """
    queryset = source._default_manager.all() if isinstance(source, type) else source
    row = queryset.select_for_update(of=("self",)).get(pk=pk)
    if table is not None:
        current = getattr(row, field)
        if current not in table[action].states:
            text, reason = (refusals or {}).get(current, (message, code))
            raise DomainError(text, code=reason, params={"status": getattr(row, f"get_{field}_display")()})
    return row

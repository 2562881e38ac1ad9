"""One answer an earlier stage needs from a later one, supplied by the later stage.

The earlier app declares the hook with the answer it gives on its own (``default``); the later
app fills it in its ``AppConfig.ready``. So an agenda can ask "are there follow-up items for
this meeting?" without importing the action items that answer it::

    followup_items = Hook("agenda follow-up items", default=lambda meeting, **kw: [])
    ...
    followup_items.provide(agenda_followup_items)   # in ActionsConfig.ready
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    def __init__(self, name: str, *, default: F) -> None:
        self.name = name
        self._default = default
        self._provider: F | None = None

    def provide(self, provider: F) -> F:
        """Supply the answer (the latest registration wins, so a reload replaces it)."""
        self._provider = provider
        return provider

    def reset(self) -> None:
        self._provider = None

    @property
    def call(self) -> F:
        return self._provider if self._provider is not None else self._default

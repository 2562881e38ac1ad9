"""What the meeting's own records need from its agenda, supplied by the agenda app.

The notice and the calendar file list the meeting's agenda; the agenda is a later stage
(it is built for a meeting), so it fills this hook in ``AgendaConfig.ready`` and the meeting
never imports it. Without an agenda app the notice simply lists no items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xietong.core.hooks import Hook

# meeting → [(title, budget in minutes), …] in agenda order (a title may be a lazy label: it is
# shown in the language of whoever formats it).
OutlineFn = Callable[[Any], list[tuple[Any, int]]]


def _no_outline(meeting: Any) -> list[tuple[Any, int]]:
    return []


agenda_outline: Hook[OutlineFn] = Hook("a meeting's agenda, item by item", default=_no_outline)

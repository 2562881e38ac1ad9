"""What the meeting needs to know from later stages, supplied by them.

The notice and the calendar file list the meeting's agenda; the agenda is a later stage
(it is built for a meeting), so it fills ``agenda_outline`` in ``AgendaConfig.ready`` and the
meeting never imports it. Without an agenda app the notice simply lists no items.

When a meeting really started and ended is known to the live room, when it ran; the live app
fills ``actual_times`` and everyone asks ``started_at``/``ended_at``/``has_started`` here: one source of truth
(the room's own times when it ran, the scheduled times otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from xietong.core.hooks import Hook

# meeting → [(title, budget in minutes), …] in agenda order (a title may be a lazy label: it is
# shown in the language of whoever formats it).
OutlineFn = Callable[[Any], list[tuple[Any, int]]]


def _no_outline(meeting: Any) -> list[tuple[Any, int]]:
    return []


agenda_outline: Hook[OutlineFn] = Hook("a meeting's agenda, item by item", default=_no_outline)


# meeting → (started, ended) as the live room recorded them; None for what it did not record.
TimesFn = Callable[[Any], tuple[datetime | None, datetime | None]]


def _scheduled_only(meeting: Any) -> tuple[datetime | None, datetime | None]:
    return None, None


actual_times: Hook[TimesFn] = Hook("when a meeting really started and ended", default=_scheduled_only)


def started_at(meeting: Any) -> datetime:
    """When ``meeting`` started: the live room's start when the host opened it, else the schedule."""
    started, _ended = actual_times.call(meeting)
    return started or meeting.starts_at


def ended_at(meeting: Any) -> datetime:
    """When ``meeting`` ended: the live room's end when the host ended it there, else the schedule.

    Every window that runs "after the meeting" (minutes, acknowledgement) starts here.
    """
    _started, ended = actual_times.call(meeting)
    return ended or meeting.ends_at


def has_started(meeting: Any, now: datetime) -> bool:
    return now >= started_at(meeting)

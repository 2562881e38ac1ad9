"""Fan-out of the live room's state to every connected screen.

``room_changed(meeting_id)`` is called by the live services after their transaction
commits. It computes the public snapshot once (``live.selectors.room_state``), encodes it
to JSON once, and sends the text to the meeting's group; each consumer only forwards the
text to its socket. Per change the cost is one snapshot and one ``json.dumps``, not one
per connected screen.

It never raises: the change is already committed, a failed broadcast must not turn a
successful command into an error. Screens that missed a broadcast get the current state
when they reconnect.

Changes made outside the live server (sign-in pages, the recorder's forms: gunicorn
processes) reach the screens through the Redis channel layer when REDIS_URL is set. With
the in-memory layer (one live process, the default) they cannot, so the live server
watches the version of every room that has screens connected (one indexed read per room
every WATCH_SECONDS) and broadcasts when it moved without a broadcast from this process.
"""

from __future__ import annotations

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from xietong.meetings.models import Meeting

from . import selectors
from .models import Room

logger = logging.getLogger(__name__)

# The consumer's handler for the group message: LiveRoomConsumer.room_state
MESSAGE_TYPE = "room.state"
WATCH_SECONDS = 1.0

# meeting id → highest version this process has broadcast (or sent on connect)
_sent_versions: dict[int, int] = {}
# meeting id → (watch task, number of screens of this process following it)
_watchers: dict[int, tuple[asyncio.Task, int]] = {}


def group_name(meeting_id: int) -> str:
    return f"live.{meeting_id}"


def encode(payload: dict) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _snapshot(meeting_id: int, now=None) -> tuple[str, int] | None:
    try:
        # room_state reads the meeting itself (with what it needs preloaded), voter ids included.
        state = selectors.room_state(Meeting(pk=meeting_id), now or timezone.now())
    except Meeting.DoesNotExist:
        return None
    version = state["version"]
    if version > _sent_versions.get(meeting_id, -1):
        _sent_versions[meeting_id] = version
    return encode({"type": "state", "state": state}), version


def snapshot_text(meeting_id: int, now=None) -> str | None:
    """The room's public snapshot as JSON text, or None when the meeting does not exist."""
    found = _snapshot(meeting_id, now)
    return found[0] if found else None


def broadcast_text(meeting_id: int, text: str) -> None:
    """Send already-encoded text to every screen of the meeting (no-op without a channel layer)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(meeting_id), {"type": MESSAGE_TYPE, "text": text})


def _nobody_here(meeting_id: int) -> bool:
    """In-memory layer and no screen of this process follows the meeting (a page process)."""
    layer = get_channel_layer()
    return isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group_name(meeting_id))


def room_changed(meeting_id: int) -> None:
    """Compute the snapshot once and send it to the meeting's group. Never raises."""
    try:
        if _nobody_here(meeting_id):
            return  # the live server's watch picks the change up (see the module docstring)
        text = snapshot_text(meeting_id)
        if text is not None:
            broadcast_text(meeting_id, text)
    except Exception:
        logger.exception("live room %s: broadcast failed", meeting_id)


# ---- the in-memory layer: catching changes made by other processes --------------------------


def _needs_watch() -> bool:
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


def _room_version(meeting_id: int) -> int | None:
    return Room.objects.filter(meeting_id=meeting_id).values_list("version", flat=True).first()


async def _watch(meeting_id: int) -> None:
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        try:
            version = await database_sync_to_async(_room_version)(meeting_id)
            if version is not None and version > _sent_versions.get(meeting_id, -1):
                await database_sync_to_async(room_changed)(meeting_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("live room %s: watching for changes failed", meeting_id)


def follow(meeting_id: int) -> None:
    """A screen of this process joined the meeting (call from the event loop)."""
    if not _needs_watch():
        return
    task, count = _watchers.get(meeting_id, (None, 0))
    if task is None or task.done():
        task, count = asyncio.get_running_loop().create_task(_watch(meeting_id)), 0
    _watchers[meeting_id] = (task, count + 1)


def unfollow(meeting_id: int) -> None:
    """A screen of this process left the meeting (call from the event loop)."""
    task, count = _watchers.get(meeting_id, (None, 0))
    if task is None:
        return
    if count <= 1:
        task.cancel()
        del _watchers[meeting_id]
    else:
        _watchers[meeting_id] = (task, count - 1)

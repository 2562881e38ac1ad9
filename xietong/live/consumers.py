"""The live room's WebSocket: one group per meeting, every screen a member.

On connect the screen gets the current snapshot at once (a reconnect is just a connect);
afterwards every change arrives as the group message that ``realtime.room_changed``
encoded once, and is forwarded as is. Commands ``{"cmd", "args", "version", "ref"}`` are
mapped to the live services (the server is the only source of truth; ``version`` makes a
command from a stale screen fail). Refusals go back to the sender only, as
``{"type": "error", "error": message}``, and are logged.

Who may connect: a signed-in person who may see the meeting (session cookie: the live
server runs on another port of the same host, so the browser sends the same cookie), the
holder of this meeting's room pass (a personal sign-in link used on this phone, same
cookie; only ``commands.PASS_COMMANDS``), or the projector with its read-only signed token
in the URL (``?t=``).

Malformed messages are refused one by one, but logged once per burst: the first of a
window of LIVE_MALFORMED_WINDOW_SECONDS is logged, and a connection that sends more than
LIVE_MALFORMED_LIMIT in one window is logged once more and closed (what it still sends is
ignored).
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xietong.core.errors import DomainError

from . import commands, realtime, roompass, tokens

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024
# Close codes in the application range (4000–4999).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_MALFORMED = 4400


class LiveRoomConsumer(AsyncWebsocketConsumer):
    meeting_id: int
    group: str
    actor = None
    read_only = True
    following = False
    room_pass: roompass.RoomPass | None = None
    # The current burst of malformed messages: when it began (monotonic), how many so far.
    malformed_since = 0.0
    malformed_count = 0
    malformed_closed = False

    async def connect(self):
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.group = realtime.group_name(self.meeting_id)
        user = self.scope.get("user")
        token = (parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("t") or [""])[0]
        if user is not None and user.is_authenticated:
            if not await database_sync_to_async(commands.may_follow)(user, self.meeting_id):
                logger.warning("live room %s: %s may not follow it", self.meeting_id, user.pk)
                await self.close(code=CLOSE_FORBIDDEN)
                return
            self.actor = user
            self.read_only = False
        elif (room_pass := await self._room_pass()) is not None:
            self.room_pass = room_pass
            self.actor = room_pass.person
            self.read_only = False
        elif token and tokens.projector_meeting_id(token) == self.meeting_id:
            self.actor = None
            self.read_only = True
        else:
            logger.warning("live room %s: anonymous connection refused", self.meeting_id)
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Join first, then read: a change committed meanwhile arrives as a group message
        # after the snapshot (screens drop a state older than the one they show).
        await self.channel_layer.group_add(self.group, self.channel_name)
        text = await database_sync_to_async(realtime.snapshot_text)(self.meeting_id)
        if text is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.following = True
        realtime.follow(self.meeting_id)
        await self.accept()
        await self.send(text_data=text)

    async def _room_pass(self) -> roompass.RoomPass | None:
        session = self.scope.get("session")
        if session is None:
            return None
        return await database_sync_to_async(roompass.holder)(session, self.meeting_id, timezone.now())

    async def disconnect(self, code):
        if getattr(self, "following", False):
            self.following = False
            realtime.unfollow(self.meeting_id)
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def room_state(self, event):
        """Group message from realtime.room_changed: already encoded, forwarded as is."""
        await self.send(text_data=event["text"])

    async def receive(self, text_data=None, bytes_data=None):
        if self.malformed_closed:
            return  # closed for a flood of malformed messages: the rest is ignored
        with translation.override(self._language()):
            reply = await self._handle(text_data, bytes_data)
        if reply.get("code") == "malformed" and self._malformed_flood(reply["error"]):
            await self.close(code=CLOSE_MALFORMED)
            return
        await self.send(text_data=realtime.encode(reply))

    def _malformed_flood(self, error: str) -> bool:
        """Count a malformed message in its burst; log the first of a burst, and once more
        when the burst passes the limit (True: close the connection)."""
        now = time.monotonic()
        if self.malformed_count == 0 or now - self.malformed_since > settings.LIVE_MALFORMED_WINDOW_SECONDS:
            self.malformed_since, self.malformed_count = now, 0
        self.malformed_count += 1
        if self.malformed_count == 1:
            logger.warning("live room %s: malformed message from %s: %s", self.meeting_id, self._who(), error)
        if self.malformed_count <= settings.LIVE_MALFORMED_LIMIT:
            return False
        self.malformed_closed = True
        logger.warning(
            "live room %s: closing the connection of %s after %s malformed messages in %s s",
            self.meeting_id,
            self._who(),
            self.malformed_count,
            settings.LIVE_MALFORMED_WINDOW_SECONDS,
        )
        return True

    async def _handle(self, text_data, bytes_data) -> dict:
        ref = None
        try:
            if text_data is None or len(text_data.encode()) > MAX_MESSAGE_BYTES:
                raise commands.Malformed(_("The message is not a command."))
            try:
                message = json.loads(text_data)
            except ValueError:
                raise commands.Malformed(_("The message is not a command.")) from None
            if isinstance(message, dict):
                ref = message.get("ref") if isinstance(message.get("ref"), str | int) else None
            command = commands.parse(message)
            if self.read_only:
                raise PermissionDenied(_("This screen is read-only."))
            if self.room_pass is not None:
                self._check_pass(command)
            result = await database_sync_to_async(commands.run)(
                command, meeting_id=self.meeting_id, actor=self.actor
            )
        except commands.Malformed as exc:
            # Logged once per burst by receive (_malformed_flood).
            return {"type": "error", "error": str(exc), "code": "malformed", "ref": ref}
        except DomainError as exc:
            logger.warning("live room %s: %s refused for %s: %s", self.meeting_id, exc.code, self._who(), exc)
            return {"type": "error", "error": str(exc), "code": exc.code, "ref": ref}
        except PermissionDenied as exc:
            code = getattr(exc, "code", "forbidden")
            logger.warning("live room %s: forbidden for %s: %s", self.meeting_id, self._who(), exc)
            message = str(exc) if str(exc) and str(exc) != code else _("You may not do this.")
            return {"type": "error", "error": message, "code": code, "ref": ref}
        except Exception:
            # A bug must not cost the screen its connection: the state is unchanged (the
            # service's transaction rolled back); say so and keep the socket open.
            logger.exception("live room %s: command failed for %s", self.meeting_id, self._who())
            return {
                "type": "error",
                "error": _("The command failed; nothing was changed."),
                "code": "failed",
                "ref": ref,
            }
        return {"type": "ok", "cmd": command.name, "ref": ref, **result}

    def _check_pass(self, command: commands.Command) -> None:
        """A room pass allows only PASS_COMMANDS (a request for the floor: its own), and only
        until it expires."""
        allowed = command.name in commands.PASS_COMMANDS and not (
            command.name == "floor_withdraw" and "speech" in command.args
        )
        if not allowed:
            raise PermissionDenied(_("With your personal link you may sign in, ask for the floor and vote."))
        if not self.room_pass.valid(timezone.now()):
            raise PermissionDenied(_("Your personal sign-in link has expired; log in to go on."))

    def _who(self) -> str:
        if self.actor is None:
            return "projector"
        return f"person {self.actor.pk}" + (" (sign-in link)" if self.room_pass is not None else "")

    def _language(self) -> str:
        cookies = {}
        for name, value in self.scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _sep, val = part.strip().partition("=")
                    cookies[key] = val
        lang = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
        return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

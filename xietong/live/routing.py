"""WebSocket routes of the live room (served by the ASGI process only)."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from .consumers import LiveRoomConsumer


class NoSuchRoom(AsyncWebsocketConsumer):
    """Any other WebSocket path: refused at the handshake (not an error in the log)."""

    async def connect(self):
        await self.close()


websocket_urlpatterns = [
    path("ws/live/<id:meeting_id>/", LiveRoomConsumer.as_asgi()),
    re_path(r"", NoSuchRoom.as_asgi()),
]

"""ASGI entry point: carries only the live room's WebSockets (pages stay on gunicorn/WSGI).

HTTP requests that reach this server get a plain 404: ``xietong serve`` runs it on its own
port (XIETONG_LIVE_BIND) next to the page server.
"""

from __future__ import annotations

import os

import django

from xietong.core.files import restrict_umask

restrict_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
from django.apps import apps  # noqa: E402

if not apps.ready:  # already set up when imported by tests or the bench: keep their logging
    django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from xietong.live.routing import websocket_urlpatterns  # noqa: E402


async def not_found(scope, receive, send) -> None:
    """Plain 404 for any HTTP request: this server has no pages."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"Not found\n"})


application = ProtocolTypeRouter(
    {
        "http": not_found,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

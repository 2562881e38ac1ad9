"""The live server's ASGI app plus one benchmark-only HTTP endpoint (bench/live_bench.py).

    GET /__bench__/broadcast/<meeting_id>/<seq>/<size>/

does a bare channel-layer ``group_send`` to the meeting's group of a ``size``-byte text
(``{"type":"bench","seq":<seq>,...}``), forwarded by the same consumers as the room's
state. XIETONG_BENCH_LAYER=redis switches this process to the Redis layer at
XIETONG_BENCH_REDIS (prefix XIETONG_BENCH_PREFIX) without touching REDIS_URL (which would
also move the task queue). Never part of the product: only the benchmark serves it.
"""

from __future__ import annotations

import os
import re

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
django.setup()

from django.conf import settings  # noqa: E402

if os.environ.get("XIETONG_BENCH_LAYER") == "redis":
    from xietong.live.layers import redis_layer

    settings.CHANNEL_LAYERS = {
        "default": redis_layer(
            os.environ.get("XIETONG_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
            prefix=os.environ.get("XIETONG_BENCH_PREFIX", "xietong-bench"),
        )
    }

from channels.layers import get_channel_layer  # noqa: E402

from xietong.asgi import application as live_application  # noqa: E402
from xietong.live.realtime import MESSAGE_TYPE, group_name  # noqa: E402

ROUTE = re.compile(r"^/__bench__/broadcast/(\d+)/(\d+)/(\d+)/$")


async def application(scope, receive, send):
    if scope["type"] == "http":
        found = ROUTE.match(scope["path"])
        if found:
            meeting_id, seq, size = (int(g) for g in found.groups())
            head = f'{{"type":"bench","seq":{seq},"pad":"'
            text = head + "x" * max(0, size - len(head) - 2) + '"}'
            await get_channel_layer().group_send(group_name(meeting_id), {"type": MESSAGE_TYPE, "text": text})
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
    await live_application(scope, receive, send)


if os.environ.get("XIETONG_BENCH_TRACE") == "1":
    # Where the time of a ballot goes (stderr): the service (with its commit), the snapshot,
    # the group_send as seen from the service's thread.
    import sys
    import time

    from xietong.live import realtime, services

    def _timed(module, name):
        func = getattr(module, name)

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                print(f"trace {name} {1000 * (time.perf_counter() - t):.1f} ms", file=sys.stderr, flush=True)

        setattr(module, name, wrapper)

    _timed(services, "ballot_cast")
    _timed(realtime, "snapshot_text")
    _timed(realtime, "broadcast_text")

"""The Redis channel layer's configuration, shared by settings, tests and the benchmark.

Plain module (no Django imports): settings.py imports it.
"""

from __future__ import annotations

# channels_redis waits for messages with BZPOPMIN blocking up to 5 s (RedisChannelLayer.
# brpop_timeout); redis-py 8 aborts any read after socket_timeout, 5 s by default, so every
# idle screen would lose its socket every few seconds (django/channels_redis#422). Reads
# may take longer than the blocking pop, and a dead connection still surfaces.
SOCKET_TIMEOUT = 10
# redis-py refuses (does not wait) past max_connections (100 by default): 200 phones
# reconnecting at once each need one for their group_add.
MAX_CONNECTIONS = 1000


def redis_layer(url: str, *, prefix: str | None = None) -> dict:
    """A CHANNEL_LAYERS entry for the Redis at ``url``."""
    config: dict = {
        "hosts": [{"address": url, "max_connections": MAX_CONNECTIONS, "socket_timeout": SOCKET_TIMEOUT}]
    }
    if prefix:
        config["prefix"] = prefix
    return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}

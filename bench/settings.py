"""Bench-only settings: the product's settings plus a middleware that reports each response's
query count in an ``X-Bench-Queries`` header (bench/run.py prints it per page and size).

Passed to the servers bench/run.py starts with ``DJANGO_SETTINGS_MODULE=bench.settings``; the
product never reads it, and it mounts no view of its own.
"""

from xietong.settings import *  # noqa: F403
from xietong.settings import MIDDLEWARE

# Outermost, so the queries of the session, the user and every other middleware are counted.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]

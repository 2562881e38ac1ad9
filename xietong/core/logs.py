"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging


class NoTracebackBelowError(logging.Filter):
    """Drops the traceback from records below ERROR: Django logs each refused request (403)
    with the PermissionDenied that caused it, which says nothing the one line does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            record.exc_info = None
            record.exc_text = None
        return True

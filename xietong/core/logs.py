"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class NoTracebackBelowError(logging.Filter):
    """Drops the traceback from records below ERROR: Django logs each refused request (403)
    with the PermissionDenied that caused it, whose traceback says nothing the one line does
    not. The refusal's own message stays, at the end of that line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            exc = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
            if isinstance(exc, PermissionDenied) and exc.args and exc.args[0]:
                reason = " ".join(str(exc.args[0]).split())
                record.msg = f"{record.getMessage()} ({reason})"
                record.args = None
            record.exc_info = None
            record.exc_text = None
        return True

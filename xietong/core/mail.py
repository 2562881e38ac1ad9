"""The console e-mail backend of a trial installation, and the start-up check that warns when
a production installation (DEBUG off) still sends its mail to the console.

Django's console backend prints every message whole; a meeting notice carries the invitee's
personal sign-in link, so the server log would hold working links. This backend prints one
line per message (how many recipients, the subject) unless EMAIL_CONSOLE_BODIES is on.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.utils.module_loading import import_string


class ConsoleSummaryBackend(DjangoConsoleBackend):
    def write_message(self, message) -> None:
        if settings.EMAIL_CONSOLE_BODIES:
            super().write_message(message)
            return
        count = len(message.recipients())
        self.stream.write(f"e-mail (console, body not shown) to {count} recipient(s): {message.subject}\n")


def _console_backend(path: str) -> bool:
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, DjangoConsoleBackend)


def console_mail_in_production(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warning xietong.mail.W001: a console backend (e-mail never leaves the server) with DEBUG off."""
    if settings.DEBUG or not _console_backend(settings.EMAIL_BACKEND):
        return []
    return [
        checks.Warning(
            "E-mail goes to the console, not to its recipients, while DEBUG is off.",
            hint="Set XIETONG_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the "
            "XIETONG_SMTP_* variables (see .env.example).",
            obj=settings.EMAIL_BACKEND,
            id="xietong.mail.W001",
        )
    ]

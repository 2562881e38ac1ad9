"""The one domain error type.

Services refuse with ``DomainError``; views turn it into a form error or a message,
``PermissionDenied`` (403) is used for acting outside one's role.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A refusal by a service: wrong state, late without leave, invalid input.

    ``message`` is a translatable constant (gettext_lazy); ``field`` names the form
    field the refusal belongs to, when there is one; ``code`` is stable for tests.
    """

    def __init__(self, message, *, code: str, field: str | None = None, params: dict | None = None):
        self.message = message
        self.code = code
        self.field = field
        self.params = params or {}
        super().__init__(code)

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class Forbidden(PermissionDenied):
    """Acting outside one's role: 403, nothing changes."""

    def __init__(self, message=None, *, code: str = "forbidden"):
        self.code = code
        # The reason shown on the 403 page, in the language of the request that was refused.
        self.message = str(message) if message else ""
        super().__init__(self.message or code)

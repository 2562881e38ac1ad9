from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect

from .errors import DomainError


class DomainErrorMiddleware:
    """A DomainError that escapes a POST view becomes a message and a redirect back.

    Views that render forms catch DomainError themselves to show field-level errors;
    this is the safety net for simple action buttons.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError) and request.method == "POST":
            messages.error(request, str(exception))
            back = request.headers.get("referer") or request.path
            return HttpResponseRedirect(back)
        return None


class ChineseFirstMiddleware:
    """Pages speak Simplified Chinese unless the user chose English (language cookie).

    Browsers on office machines often send English Accept-Language headers; the
    organisation's working language should not depend on that, so the header is
    ignored and Django's LocaleMiddleware falls back to the cookie, then LANGUAGE_CODE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

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


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds ``MAX_REQUEST_BYTES`` with 413, unread.

    gunicorn passes any body through, and Django would stream a file upload to a temporary
    file before a form could refuse it; the declared Content-Length is known before any of
    the body is read. A body without a Content-Length (chunked) is not read by Django at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body for an unreadable length either
        limit = settings.MAX_REQUEST_BYTES
        if declared > limit:
            message = _("The request is too large (%(size)s MB); at most %(max)s MB can be sent.") % {
                "size": f"{declared / 1048576:.1f}",
                "max": f"{limit / 1048576:g}",
            }
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

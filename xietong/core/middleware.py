from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

from .error_pages import error_page, same_site_referer
from .errors import DomainError

# Session keys of SessionIdleMiddleware: when the session began and when it was last used (epoch s).
SESSION_STARTED = "xietong_started"
SESSION_SEEN = "xietong_seen"


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
        if not isinstance(exception, DomainError):
            return None
        if request.method == "POST":
            messages.error(request, str(exception))
            return HttpResponseRedirect(safe_referer(request))
        # A page that cannot be shown as asked: the 400 page with the refusal's own message.
        return error_page(request, 400, title=_("This cannot be shown"), reason=str(exception))


def safe_referer(request) -> str:
    """The page the request came from when it is on this site, else the home page."""
    return same_site_referer(request) or resolve_url(settings.LOGIN_REDIRECT_URL)


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


class SessionIdleMiddleware:
    """Logs a session out after SESSION_IDLE_SECONDS without a request, and after
    SESSION_COOKIE_AGE from its first request whatever the activity (shared office PCs).

    The last activity is written at most once per SESSION_ACTIVITY_WRITE_SECONDS, so a burst
    of page loads costs one session write, not one per request. Saving the session moves its
    stored expiry on, hence the start time kept beside it for the absolute limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(SESSION_KEY):
            now = int(timezone.now().timestamp())
            started = request.session.get(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            if now - seen > settings.SESSION_IDLE_SECONDS or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            else:
                if SESSION_STARTED not in request.session:
                    request.session[SESSION_STARTED] = started
                if (
                    now - seen >= settings.SESSION_ACTIVITY_WRITE_SECONDS
                    or SESSION_SEEN not in request.session
                ):
                    request.session[SESSION_SEEN] = now
        return self.get_response(request)


def session_start(sender, request, user, **kwargs):
    """At login (user_logged_in): the session's start and first activity, saved with the login
    itself, so the pages that follow do not write the session again within the minute."""
    now = int(timezone.now().timestamp())
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY: browser features no page of Xietong uses stay off."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}={allow}" for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


def live_ws_origins(request) -> list[str]:
    """Where the live room's pages open their WebSocket (see live/screens.py ws_config): the
    origin of LIVE_WS_URL, or the page's own host on the port of LIVE_BIND."""
    if settings.LIVE_WS_URL:
        parts = urlsplit(settings.LIVE_WS_URL)
        return [f"{parts.scheme}://{parts.netloc}"]
    try:
        domain, _port = split_domain_port(request.get_host())
    except DisallowedHost:
        return []
    _bind, _sep, port = settings.LIVE_BIND.rpartition(":")
    if not domain or not port.isdigit():
        return []
    host = f"[{domain}]" if ":" in domain else domain
    return [f"ws://{host}:{port}", f"wss://{host}:{port}"]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the live room's WebSocket origin in connect-src: it is on
    another port than the page (and so not 'self') unless LIVE_WS_URL puts it elsewhere."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        origins = live_ws_origins(request)
        if origins and not report_only:
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", []), *origins]
            parts.update = update
        return parts

"""The error pages (400, 403, 404, 500 and a refused form without its CSRF token), in the page
frame and the person's language: what went wrong, the reason when there is one to tell, and a
way back. Wired as Django's handler400/403/404/500 (xietong/urls.py) and CSRF_FAILURE_VIEW."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .errors import Forbidden

logger = logging.getLogger(__name__)


def same_site_referer(request: HttpRequest) -> str:
    """The page the request came from when it is on this site, else "": a Referer is the
    client's to write, and a link or redirect to another site would be an open redirect."""
    back = request.headers.get("referer", "")
    if back and url_has_allowed_host_and_scheme(
        back,
        allowed_hosts=set(settings.ALLOWED_HOSTS) | {request.get_host()},
        require_https=request.is_secure(),
    ):
        return back
    return ""


def _back(request: HttpRequest) -> str:
    """The previous page, when it is on this site and is not the page that failed."""
    back = same_site_referer(request)
    return "" if back in ("", request.build_absolute_uri(), request.get_full_path()) else back


def error_page(
    request: HttpRequest, status: int, *, title: str, reason: str, hint: str = "", bare: bool = False
) -> HttpResponse:
    """The error page with ``status``: ``title``, the ``reason`` and a way back."""
    context = {
        "status": status,
        "title": title,
        "reason": reason,
        "hint": hint,
        "back": _back(request),
        "bare": bare,
    }
    return render(request, "core/error.html", context, status=status)


def refusal_reason(exception: BaseException | None) -> str:
    """The message a refusal was raised with (a Forbidden's, or a PermissionDenied's given
    text), or "" when it carries none."""
    if isinstance(exception, Forbidden):
        return exception.message
    if isinstance(exception, PermissionDenied) and exception.args and exception.args[0]:
        return str(exception.args[0])
    return ""


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    # Django's own 400s (a suspicious operation, a malformed request) say nothing a user can act on.
    return error_page(
        request,
        400,
        title=_("The request could not be processed"),
        reason=_("Something in the request was not valid. Go back, reload the page and try again."),
    )


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return error_page(
        request,
        403,
        title=_("You may not do this"),
        reason=refusal_reason(exception) or _("Your roles do not allow this page or action."),
    )


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    # Http404's own text names models and URL patterns: never shown.
    return error_page(
        request,
        404,
        title=_("Page not found"),
        reason=_("This page does not exist, or it is not open to you."),
        hint=_("If you followed a link in a message, the item may have been deleted or moved."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500: the frame without the navigation or messages (no database read: it may be the cause)."""
    title = _("Something went wrong")
    reason = _("The server could not complete this request. The error has been logged; try again later.")
    try:
        return error_page(request, 500, title=title, reason=reason, bare=True)
    except Exception:  # the page itself failed to render: the plainest answer left
        logger.exception("The server-error page could not be rendered")
        return HttpResponse(f"{title}\n{reason}\n", status=500, content_type="text/plain; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its valid CSRF token (CSRF_FAILURE_VIEW); Django logs ``reason``."""
    return error_page(
        request,
        403,
        title=_("The form could not be sent"),
        reason=_(
            "The page the form came from has expired, or the browser does not keep this site's "
            "cookies. Go back, reload the page and send the form again."
        ),
    )

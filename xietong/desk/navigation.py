"""The main navigation (xietong/templates/_nav.html): the entries a person may open, each decided
by the rule its page applies, so no entry leads to a refusal."""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.http import HttpRequest

from xietong.obligations.permissions import follow_through_page
from xietong.org.permissions import roles_of

# Open to everyone signed in: each of these pages lists what the person may see.
EVERYONE = (
    "home",
    "topics",
    "meetings",
    "archive",
    "actions",
    "approvals",
    "requests",
    "policy",
    "calendar",
    "org",
    "inbox",
)


def nav_entries(request: HttpRequest) -> tuple[str, ...]:
    """The navigation entries shown to ``request``'s user (names used in _nav.html)."""
    user = request.user
    if not user.is_authenticated:
        return ()
    shown = list(EVERYONE)
    if follow_through_page(roles_of(user)) is not None:
        shown.append("follow_through")
    if admin.site.has_permission(request):
        shown.append("admin")
    return tuple(shown)


def navigation(request: HttpRequest) -> dict:
    """Context processor: ``nav_entries()`` for the page frame, worked out only when a page
    with the frame is rendered (fragments and partial pages pay nothing)."""
    return {"nav_entries": partial(nav_entries, request)}

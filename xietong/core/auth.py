"""``login_required`` for the product's pages."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required as django_login_required
from django.utils.functional import empty


def login_required(view):
    """Django's ``login_required``; once its check has loaded the user, the view gets the user
    itself on ``request.user`` instead of the lazy wrapper the authentication middleware set
    (every attribute read through the wrapper is a proxy call, and a page reads dozens)."""

    @wraps(view)
    def with_user(request, *args, **kwargs):
        loaded = getattr(request.user, "_wrapped", None)  # the lazy wrapper's slot
        if loaded is not None and loaded is not empty:
            request.user = loaded
        return view(request, *args, **kwargs)

    return django_login_required(with_user)

"""``login_required`` for the product's pages: Django's own."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

__all__ = ["login_required"]

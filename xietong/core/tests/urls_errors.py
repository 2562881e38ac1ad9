"""The product's URL configuration with three pages that fail on purpose (test_error_pages)."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError
from xietong.urls import handler400, handler403, handler404, handler500
from xietong.urls import urlpatterns as product_urlpatterns


def refused(request):
    raise DomainError(_("This meeting can no longer be changed."), code="meeting_closed")


def suspicious(request):
    raise SuspiciousOperation("a header no browser sends")


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    *product_urlpatterns,
    path("test-errors/refused/", refused),
    path("test-errors/suspicious/", suspicious),
    path("test-errors/broken/", broken),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

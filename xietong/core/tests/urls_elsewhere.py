"""A second URL configuration for test_jinja_helpers (the cached plain URLs follow it)."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/", lambda request: HttpResponse(), name="home")]

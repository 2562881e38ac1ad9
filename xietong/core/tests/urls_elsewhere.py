"""A second URL configuration for test_jinja_helpers (the cached URLs follow it)."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [
    path("elsewhere/", lambda request: HttpResponse(), name="home"),
    path("elsewhere/items/<int:pk>/", lambda request, pk: HttpResponse(), name="item"),
]

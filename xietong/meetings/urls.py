"""The meetings app's own pages. They are served under /meetings/ in the ``meetings`` namespace
together with the meeting page and its notice (xietong/desk/meeting_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("series/<id:series_pk>/next/", views.schedule_next, name="schedule_next"),
    path("emergency/", views.emergency_create, name="emergency"),
    path("<id:pk>/meeting.ics", views.meeting_ics_download, name="ics"),
]

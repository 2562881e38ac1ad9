"""The URLs under /meetings/: the meeting page and its notice (here, gathering from every
stage) with the meetings app's own pages, all in the ``meetings`` namespace."""

from django.urls import path

from xietong.meetings.urls import urlpatterns as meetings_urlpatterns

from . import meeting_views

app_name = "meetings"
urlpatterns = [
    *meetings_urlpatterns,
    path("<id:pk>/", meeting_views.meeting_detail, name="detail"),
    path("<id:pk>/notice/", meeting_views.meeting_notice, name="notice"),
    path("<id:pk>/reschedule/", meeting_views.meeting_reschedule, name="reschedule"),
    path("<id:pk>/cancel/", meeting_views.meeting_cancel, name="cancel"),
    path("rsvp/<id:pk>/", meeting_views.rsvp_answer, name="rsvp"),
]

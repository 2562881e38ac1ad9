from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("series/<id:series_pk>/next/", views.schedule_next, name="schedule_next"),
    path("emergency/", views.emergency_create, name="emergency"),
    path("<id:pk>/", views.meeting_detail, name="detail"),
    path("<id:pk>/notice/", views.meeting_notice, name="notice"),
    path("<id:pk>/meeting.ics", views.meeting_ics_download, name="ics"),
    path("<id:pk>/reschedule/", views.meeting_reschedule, name="reschedule"),
    path("<id:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("rsvp/<id:pk>/", views.rsvp_answer, name="rsvp"),
]

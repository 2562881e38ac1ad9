from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("series/<int:series_pk>/next/", views.schedule_next, name="schedule_next"),
    path("emergency/", views.emergency_create, name="emergency"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/notice/", views.meeting_notice, name="notice"),
    path("<int:pk>/meeting.ics", views.meeting_ics_download, name="ics"),
    path("<int:pk>/reschedule/", views.meeting_reschedule, name="reschedule"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("rsvp/<int:pk>/", views.rsvp_answer, name="rsvp"),
]

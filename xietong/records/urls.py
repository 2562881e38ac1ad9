from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("meeting/<int:pk>/", views.record_meeting, name="meeting"),
    path("meeting/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meeting/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("meeting/<int:pk>/close/", views.record_close, name="close"),
    path("item/<int:pk>/", views.item, name="item"),
    path("decision/<int:pk>/approve/", views.decision_approve, name="approve"),
    path("decision/<int:pk>/reject/", views.decision_reject, name="reject"),
]

from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("meeting/<id:pk>/", views.record_meeting, name="meeting"),
    path("meeting/<id:pk>/attendance/", views.attendance, name="attendance"),
    path("meeting/<id:pk>/decisions/", views.decision_add, name="decision_add"),
    path("meeting/<id:pk>/close/", views.record_close, name="close"),
    path("item/<id:pk>/", views.item, name="item"),
    path("decision/<id:pk>/approve/", views.decision_approve, name="approve"),
    path("decision/<id:pk>/reject/", views.decision_reject, name="reject"),
]

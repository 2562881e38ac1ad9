from django.urls import path

from . import views

app_name = "actions"
urlpatterns = [
    path("", views.action_list, name="list"),
    path("<id:pk>/", views.action_detail, name="detail"),
    path("<id:pk>/start/", views.action_start, name="start"),
    path("<id:pk>/complete/", views.action_complete, name="complete"),
    path("<id:pk>/cancel/", views.action_cancel, name="cancel"),
    path("<id:pk>/reopen/", views.action_reopen, name="reopen"),
    path("<id:pk>/report/", views.action_report, name="report"),
    path(
        "acknowledge/<id:meeting_pk>/<id:department_pk>/",
        views.tasks_acknowledge,
        name="acknowledge",
    ),
]

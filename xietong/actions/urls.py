from django.urls import path

from . import views

app_name = "actions"
urlpatterns = [
    path("", views.action_list, name="list"),
    path("<int:pk>/", views.action_detail, name="detail"),
    path("<int:pk>/start/", views.action_start, name="start"),
    path("<int:pk>/complete/", views.action_complete, name="complete"),
    path("<int:pk>/cancel/", views.action_cancel, name="cancel"),
    path("<int:pk>/reopen/", views.action_reopen, name="reopen"),
    path("<int:pk>/report/", views.action_report, name="report"),
    path(
        "acknowledge/<int:meeting_pk>/<int:department_pk>/",
        views.tasks_acknowledge,
        name="acknowledge",
    ),
]

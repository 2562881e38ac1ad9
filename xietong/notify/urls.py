from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("<id:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("robots/", views.robots, name="robots"),
    path("robots/<id:department_pk>/", views.robots, name="department_robots"),
    path("robots/remove/<id:pk>/", views.robot_remove, name="robot_remove"),
    path("robots/test/<id:pk>/", views.robot_test, name="robot_test"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/retry/", views.retry, name="retry"),
]

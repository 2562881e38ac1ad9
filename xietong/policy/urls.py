from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.policy_detail, name="detail"),
    path("calendar/", views.business_calendar_view, name="calendar"),
    path("calendar/override/", views.calendar_override, name="calendar_override"),
    path("calendar/<int:year>/schedule/", views.holiday_schedule, name="holiday_schedule"),
    path("<slug:key>/v<id:number>/", views.policy_version, name="version"),
    path("<slug:key>/edit/", views.policy_edit, name="edit"),
    path("<slug:key>/import/", views.policy_import, name="import"),
    path("<slug:key>/export.toml", views.policy_export, name="export"),
]

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.todo, name="todo"),
    path("mine/", views.mine, name="mine"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_new"),
    path("templates/<id:pk>/", views.template_detail, name="template"),
    path("templates/<id:pk>/apply/", views.apply, name="apply"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/print/", views.print_view, name="print"),
    path("<id:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("<id:pk>/<slug:action>/", views.act, name="act"),
]

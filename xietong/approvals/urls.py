from django.urls import path

from . import emergency_views, figures_views, views

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
    path("emergency/", emergency_views.emergency_list, name="emergencies"),
    path("emergency/new/<id:pk>/", emergency_views.emergency_new, name="emergency_new"),
    path("emergency/<id:pk>/", emergency_views.emergency_detail, name="emergency"),
    path("emergency/<id:pk>/execute/", emergency_views.emergency_execute, name="emergency_execute"),
    path("overview/", figures_views.overview, name="overview"),
    path("figures/", figures_views.figures_page, name="figures"),
    path("figures.xlsx", figures_views.figures_xlsx, name="figures_xlsx"),
]

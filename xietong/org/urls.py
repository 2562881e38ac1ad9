from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.departments, name="departments"),
    path("people/", views.people, name="people"),
    path("people/<id:pk>/", views.person, name="person"),
    path("people/activation/", views.send_activation, name="send_activation"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/new/", views.delegation_create, name="delegation_create"),
    path("delegations/<id:pk>/revoke/", views.delegation_revoke, name="delegation_revoke"),
    path("import/", views.roster_import, name="import"),
    path("import/template.csv", views.roster_template, name="import_template"),
]

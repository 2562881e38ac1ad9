from django.urls import path

from . import views

app_name = "agenda"
urlpatterns = [
    path("meeting/<id:meeting_pk>/", views.builder, name="builder"),
    path("meeting/<id:meeting_pk>/build/", views.build, name="build"),
    path("meeting/<id:meeting_pk>/confirm/", views.confirm, name="confirm"),
    path("meeting/<id:meeting_pk>/reopen/", views.reopen, name="reopen"),
    path("meeting/<id:meeting_pk>/publish/", views.publish, name="publish"),
    path("item/<id:pk>/move/", views.item_move, name="item_move"),
    path("item/<id:pk>/budget/", views.item_budget, name="item_budget"),
    path("item/<id:pk>/remove/", views.item_remove, name="item_remove"),
]

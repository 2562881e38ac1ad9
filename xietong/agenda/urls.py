from django.urls import path

from . import views

app_name = "agenda"
urlpatterns = [
    path("meeting/<int:meeting_pk>/", views.builder, name="builder"),
    path("meeting/<int:meeting_pk>/build/", views.build, name="build"),
    path("meeting/<int:meeting_pk>/confirm/", views.confirm, name="confirm"),
    path("meeting/<int:meeting_pk>/reopen/", views.reopen, name="reopen"),
    path("meeting/<int:meeting_pk>/publish/", views.publish, name="publish"),
    path("item/<int:pk>/move/", views.item_move, name="item_move"),
    path("item/<int:pk>/budget/", views.item_budget, name="item_budget"),
    path("item/<int:pk>/remove/", views.item_remove, name="item_remove"),
]

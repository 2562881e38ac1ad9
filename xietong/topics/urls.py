from django.urls import path

from . import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("new/", views.topic_create, name="create"),
    path("similar/", views.topic_similar, name="similar"),
    path("<int:pk>/", views.topic_detail, name="detail"),
    path("<int:pk>/edit/", views.topic_edit, name="edit"),
    path("<int:pk>/send-review/", views.topic_send_review, name="send_review"),
    path("<int:pk>/approve/", views.topic_approve, name="approve"),
    path("<int:pk>/return/", views.topic_return, name="return"),
    path("<int:pk>/submit/", views.topic_submit, name="submit"),
    path("<int:pk>/triage/", views.topic_triage, name="triage"),
    path("<int:pk>/coordinator-return/", views.topic_coordinator_return, name="coordinator_return"),
    path("<int:pk>/reject/", views.topic_reject, name="reject"),
    path("<int:pk>/withdraw/", views.topic_withdraw, name="withdraw"),
    path("<int:pk>/materials/", views.topic_attach, name="attach"),
    path("materials/<int:pk>/", views.topic_attachment, name="attachment"),
    path("materials/<int:pk>/remove/", views.topic_attachment_remove, name="attachment_remove"),
]

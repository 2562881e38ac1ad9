from django.urls import path

from . import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("new/", views.topic_create, name="create"),
    path("similar/", views.topic_similar, name="similar"),
    path("<id:pk>/", views.topic_detail, name="detail"),
    path("<id:pk>/edit/", views.topic_edit, name="edit"),
    path("<id:pk>/send-review/", views.topic_send_review, name="send_review"),
    path("<id:pk>/approve/", views.topic_approve, name="approve"),
    path("<id:pk>/return/", views.topic_return, name="return"),
    path("<id:pk>/submit/", views.topic_submit, name="submit"),
    path("<id:pk>/triage/", views.topic_triage, name="triage"),
    path("<id:pk>/coordinator-return/", views.topic_coordinator_return, name="coordinator_return"),
    path("<id:pk>/reject/", views.topic_reject, name="reject"),
    path("<id:pk>/withdraw/", views.topic_withdraw, name="withdraw"),
    path("<id:pk>/materials/", views.topic_attach, name="attach"),
    path("materials/<id:pk>/", views.topic_attachment, name="attachment"),
    path("materials/<id:pk>/remove/", views.topic_attachment_remove, name="attachment_remove"),
]

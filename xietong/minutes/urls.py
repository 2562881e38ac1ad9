from django.urls import path

from . import paste_views, views

app_name = "minutes"
urlpatterns = [
    path("meeting/<id:pk>/", views.meeting_minutes, name="meeting"),
    path("meeting/<id:pk>/draft/", views.draft, name="draft"),
    path("meeting/<id:pk>/paste/", paste_views.paste, name="paste"),
    path("archive/", views.archive, name="archive"),
    path("<id:pk>/", views.version, name="version"),
    path("<id:pk>/save/", views.save, name="save"),
    path("<id:pk>/submit/", views.submit, name="submit"),
    path("<id:pk>/approve/", views.approve, name="approve"),
    path("<id:pk>/return/", views.return_, name="return"),
    path("<id:pk>/correct/", views.correct, name="correct"),
    path("<id:pk>/print/", views.print_view, name="print"),
    path("<id:pk>/minutes.docx", views.docx_view, name="docx"),
]

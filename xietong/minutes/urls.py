from django.urls import path

from . import paste_views, views

app_name = "minutes"
urlpatterns = [
    path("meeting/<int:pk>/", views.meeting_minutes, name="meeting"),
    path("meeting/<int:pk>/draft/", views.draft, name="draft"),
    path("meeting/<int:pk>/paste/", paste_views.paste, name="paste"),
    path("archive/", views.archive, name="archive"),
    path("<int:pk>/", views.version, name="version"),
    path("<int:pk>/save/", views.save, name="save"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/print/", views.print_view, name="print"),
    path("<int:pk>/minutes.docx", views.docx_view, name="docx"),
]

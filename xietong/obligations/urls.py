from django.urls import path

from . import views

app_name = "obligations"
urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.coordinator_board, name="board"),
    path("board/department/<id:department_pk>/", views.board_department, name="board_department"),
    path("board/department/none/", views.board_department, name="board_no_department"),
    path("department/", views.department_board, name="department"),
    path("leadership/", views.leadership, name="leadership"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance.xlsx", views.compliance_xlsx, name="compliance_xlsx"),
    path("<id:pk>/waive/", views.waive, name="waive"),
]

from django.urls import path

from . import views

app_name = "live"
urlpatterns: list = [
    path("<int:pk>/signin/<str:token>/", views.signin, name="signin"),
    path("<int:pk>/signin-qr.svg", views.signin_qr, name="signin_qr"),
    path("<int:pk>/signin-code/", views.signin_code_renew, name="signin_code_renew"),
    path("s/<str:token>/", views.signin_link, name="signin_link"),
    path("<int:pk>/desk/", views.desk, name="desk"),
    path("<int:pk>/desk/signin/", views.desk_signin, name="desk_signin"),
    path("<int:pk>/desk/guests/", views.guest_admit, name="guest_admit"),
    path("<int:pk>/speaking/", views.speaking_report, name="speaking"),
    path("<int:pk>/votes/<int:vote_pk>/decision/", views.vote_decision, name="vote_decision"),
]

# The three live screens (xietong/live/screens.py).
from . import screens  # noqa: E402

urlpatterns += [
    path("<int:pk>/", screens.phone, name="phone"),
    path("<int:pk>/host/", screens.host_console, name="host"),
    path("<int:pk>/projector/", screens.projector, name="projector"),
]

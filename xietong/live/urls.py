from django.urls import path

from . import views

app_name = "live"
urlpatterns: list = [
    path("<id:pk>/signin/<str:token>/", views.signin, name="signin"),
    path("<id:pk>/signin-qr.svg", views.signin_qr, name="signin_qr"),
    path("<id:pk>/signin-code/", views.signin_code_renew, name="signin_code_renew"),
    path("s/<str:token>/", views.signin_link, name="signin_link"),
    path("<id:pk>/desk/", views.desk, name="desk"),
    path("<id:pk>/desk/signin/", views.desk_signin, name="desk_signin"),
    path("<id:pk>/desk/guests/", views.guest_admit, name="guest_admit"),
    path("<id:pk>/speaking/", views.speaking_report, name="speaking"),
    path("<id:pk>/votes/<id:vote_pk>/decision/", views.vote_decision, name="vote_decision"),
]

# The three live screens (xietong/live/screens.py).
from . import screens  # noqa: E402

urlpatterns += [
    path("<id:pk>/", screens.phone, name="phone"),
    path("<id:pk>/host/", screens.host_console, name="host"),
    path("<id:pk>/projector/", screens.projector, name="projector"),
]

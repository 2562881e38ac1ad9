from django.urls import path

from . import account_views

app_name = "account"
urlpatterns = [
    path("password/reset/", account_views.PasswordResetView.as_view(), name="reset"),
    path("password/reset/sent/", account_views.PasswordResetSentView.as_view(), name="reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="reset_confirm",
    ),
    path("activate/<uidb64>/<token>/", account_views.ActivationView.as_view(), name="activate"),
    path("password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
]

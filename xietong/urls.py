from django.contrib import admin
from django.urls import include, path

from xietong.core import views as core_views
from xietong.desk import views as desk_views

urlpatterns = [
    path("", desk_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.logout_view, name="logout"),
    path("lang/", core_views.set_language, name="set_language"),
    path("account/", include("xietong.org.account_urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("org/", include("xietong.org.urls")),
    path("policy/", include("xietong.policy.urls")),
    path("topics/", include("xietong.topics.urls")),
    path("meetings/", include("xietong.desk.meeting_urls")),
    path("agenda/", include("xietong.agenda.urls")),
    path("actions/", include("xietong.actions.urls")),
    path("obligations/", include("xietong.obligations.urls")),
    path("records/", include("xietong.records.urls")),
    path("minutes/", include("xietong.minutes.urls")),
    path("approvals/", include("xietong.approvals.urls")),
    path("requests/", include("xietong.requests.urls")),
    path("live/", include("xietong.live.urls")),
    path("notify/", include("xietong.notify.urls")),
    path("admin/", admin.site.urls),
]

# The error pages in the product's frame (xietong/core/error_pages.py).
handler400 = "xietong.core.error_pages.bad_request"
handler403 = "xietong.core.error_pages.permission_denied"
handler404 = "xietong.core.error_pages.page_not_found"
handler500 = "xietong.core.error_pages.server_error"

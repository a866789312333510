from django.contrib import admin
from django.urls import include, path

from portal import display_mode, views
from security import sign_in_views

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("start/", views.landing, name="landing"),
        path("organisation/", views.organisation_home, name="organisation_home"),
        path("display-mode/", display_mode.switch, name="display_mode"),
    ],
    "portal",
)

urlpatterns = [
    # First: machines call it most, and every pattern before it is tried on each of their calls.
    path("open311/v2/", include("services.open311.urls")),
    path("", include(portal_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("residents/", include("residents.urls")),
    path("notifications/", include("notifications.urls")),
    path("requests/", include("services.urls")),
    path("security/", include("security.urls")),
    path("partners/", include("partners.urls")),
    path("api/v1/", include("partners.api_urls")),
    path("api/", include("partners.schema_urls")),
    path("dashboards/", include("dashboards.urls")),
    path("open/", include("dashboards.urls_public")),
    path("exchange/", include("exchange.urls")),
    path("", include("participation.urls")),
    path("workforce/", include("workforce.urls")),
    path("programme/", include("programme.urls")),
    # Before the admin's own: the admin signs in through allauth, with its limits and second factor.
    path("admin/login/", sign_in_views.admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
]

# allauth answers a used-up limit through this; it records refused sign-ins in the audit log.
handler429 = "security.sign_in_views.too_many_requests"

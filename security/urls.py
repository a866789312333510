from django.urls import path

from security import headers, mfa_views, views

app_name = "security"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("mfa/reset/", mfa_views.mfa_reset_view, name="mfa_reset"),
    path("csp-report/", headers.csp_report, name="csp_report"),
]

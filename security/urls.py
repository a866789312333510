from django.urls import path

from security import headers, mfa_views, sign_in_views, views

app_name = "security"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/<int:pk>/", views.audit_event_detail, name="audit_event"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
    path("mfa/reset/", mfa_views.mfa_reset_view, name="mfa_reset"),
    path("session/", sign_in_views.session_status, name="session_status"),
    path("sign-in-unlock/", sign_in_views.unlock, name="sign_in_unlock"),
    path("csp-report/", headers.csp_report, name="csp_report"),
]

from django.urls import path

from security import headers, mfa_views, views

app_name = "security"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("mfa/reset/", mfa_views.mfa_reset_view, name="mfa_reset"),
    path("audit/<int:pk>/", views.audit_event_detail, name="audit_event"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
    path("csp-report/", headers.csp_report, name="csp_report"),
]

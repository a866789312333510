from django.urls import path

from security import headers, views

app_name = "security"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("csp-report/", headers.csp_report, name="csp_report"),
]

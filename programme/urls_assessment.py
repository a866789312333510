"""The indicator system's and the assessment rounds' pages (views_assessment)."""

from django.urls import path

from programme import views_assessment as views

urlpatterns = [
    path("reports/<int:pk>/", views.report_detail, name="assessment_report"),
]

"""The indicator system's and the assessment rounds' pages (views_assessment), in the `programme`
namespace: /programme/indicators/… (district leaders), /programme/rounds/…, /programme/reports/…,
/programme/results/."""

from django.urls import path

from programme import views_assessment as views

urlpatterns = [
    path("indicators/", views.system, name="assessment_system"),
    path("indicators/new/", views.system_new, name="assessment_system_new"),
    path("indicators/publish/", views.system_publish, name="assessment_system_publish"),
    path("indicators/discard/", views.system_discard, name="assessment_system_discard"),
    path("indicators/draft/add/", views.indicator_add, name="assessment_indicator_add"),
    path("indicators/draft/<int:pk>/", views.indicator_edit, name="assessment_indicator_edit"),
    path("indicators/draft/<int:pk>/remove/", views.indicator_remove, name="assessment_indicator_remove"),
    path("rounds/", views.rounds, name="assessment_rounds"),
    path("rounds/open/", views.round_open, name="assessment_round_open"),
    path("rounds/<uuid:public_id>/", views.round_detail, name="assessment_round"),
    path("rounds/<uuid:public_id>/recompute/", views.round_recompute, name="assessment_round_recompute"),
    path("rounds/<uuid:public_id>/close/", views.round_close, name="assessment_round_close"),
    path("rounds/<uuid:public_id>/export.xlsx", views.round_export, name="assessment_round_export"),
    path("rounds/<uuid:public_id>/reports/", views.reports, name="assessment_reports"),
    path("rounds/<uuid:public_id>/checks/", views.checks, name="assessment_checks"),
    path("rounds/<uuid:public_id>/communities/<int:community_id>/", views.results, name="assessment_results"),
    path("results/", views.my_results, name="assessment_my_results"),
    path("reports/<int:pk>/", views.report_detail, name="assessment_report"),
    path("reports/<int:pk>/check/", views.report_check, name="assessment_report_check"),
    path("reports/<int:pk>/appeal/", views.report_appeal, name="assessment_report_appeal"),
    path("reports/<int:pk>/evidence/", views.report_evidence, name="assessment_report_evidence"),
    path("reports/<int:pk>/appeal-evidence/", views.report_appeal_evidence, name="assessment_report_appeal_evidence"),
]

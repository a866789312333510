"""Construction projects' pages (programme/views_projects.py), in the `programme` namespace."""

from django.urls import path

from programme import views_projects as views

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/adjustments/", views.adjustment_queue, name="project_adjustments"),
    path("projects/adjustments/<int:pk>/", views.adjustment_decide, name="project_adjustment_decide"),
    path("projects/<uuid:public_id>/", views.project_detail, name="project_detail"),
    path("projects/<uuid:public_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<uuid:public_id>/spend/", views.project_spend, name="project_spend"),
    path("projects/<uuid:public_id>/adjust/", views.project_adjustment, name="project_adjustment"),
    path("projects/<uuid:public_id>/milestones/new/", views.milestone_add, name="project_milestone_add"),
    path("projects/<uuid:public_id>/milestones/<int:pk>/", views.milestone_edit, name="project_milestone_edit"),
    path("projects/<uuid:public_id>/milestones/<int:pk>/reach/", views.milestone_reach, name="project_milestone_reach"),
    path("projects/<uuid:public_id>/deliverables/new/", views.deliverable_add, name="project_deliverable_add"),
    path(
        "projects/<uuid:public_id>/deliverables/<int:pk>/deliver/",
        views.deliverable_deliver,
        name="project_deliverable_deliver",
    ),
    path("projects/<uuid:public_id>/documents/new/", views.document_add, name="project_document_add"),
    path("projects/<uuid:public_id>/documents/<int:pk>/", views.project_document, name="project_document"),
    path("projects/<uuid:public_id>/spends/<int:pk>/document/", views.spend_document, name="project_spend_document"),
    path("projects/<uuid:public_id>/acceptance/", views.project_acceptance, name="project_acceptance"),
    path("public/projects/", views.public_list, name="public_projects"),
    path("public/projects/<uuid:public_id>/", views.public_detail, name="public_project"),
]

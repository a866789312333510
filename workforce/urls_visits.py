"""The elderly visits' pages (workforce.views_visits), under /workforce/visits/."""

from django.urls import path

from workforce import views_visits

urlpatterns = [
    path("visits/", views_visits.roster, name="visits"),
    path("visits/overdue/", views_visits.overdue, name="visits_overdue"),
    path("visits/rules/", views_visits.rules, name="visit_rules"),
    path("visits/resident/<uuid:public_id>/", views_visits.resident, name="visit_resident"),
    path("visits/<int:visit_id>/request/", views_visits.visit_request, name="visit_request"),
]

"""The reserve talent pool's pages (workforce.views_talent), under /workforce/talent/."""

from django.urls import path

from workforce import views_talent

urlpatterns = [
    path("talent/", views_talent.pool, name="talent_pool"),
    path("talent/nominate/", views_talent.nominate, name="talent_nominate"),
    path("talent/vacancy/", views_talent.vacancy, name="talent_vacancy"),
    path("talent/<int:candidate_id>/", views_talent.candidate, name="talent_candidate"),
    path("talent/<int:candidate_id>/plan/", views_talent.plan, name="talent_plan"),
    path("talent/<int:candidate_id>/review/", views_talent.review, name="talent_review"),
    path("talent/<int:candidate_id>/close/", views_talent.close, name="talent_close"),
]

from django.urls import path

from workforce import urls_assessment, urls_talent, urls_training, urls_visits, urls_workload, views

app_name = "workforce"
urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("new/", views.profile_new, name="profile_new"),
    path("<int:profile_id>/edit/", views.profile_edit, name="profile_edit"),
    path("<int:profile_id>/", views.detail, name="detail"),
    path("<int:profile_id>/handover/", views.handover, name="handover"),
    path("proposals/<int:proposal_id>/confirm/", views.confirm, name="confirm"),
    path("proposals/<int:proposal_id>/dismiss/", views.dismiss, name="dismiss"),
]

urlpatterns += urls_training.urlpatterns
urlpatterns += urls_talent.urlpatterns
urlpatterns += urls_visits.urlpatterns
urlpatterns += urls_workload.urlpatterns
urlpatterns += urls_assessment.urlpatterns

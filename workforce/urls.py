from django.urls import path

from workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("<int:profile_id>/", views.detail, name="detail"),
    path("<int:profile_id>/handover/", views.handover, name="handover"),
    path("proposals/<int:proposal_id>/confirm/", views.confirm, name="confirm"),
]

"""The team's workload and its rebalancing (workforce.views_workload), under /workforce/team/."""

from django.urls import path

from workforce import views_workload

urlpatterns = [
    path("team/", views_workload.team, name="team"),
    path("team/rebalance/", views_workload.rebalance, name="team_rebalance"),
]

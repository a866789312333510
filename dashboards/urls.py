"""The dashboards' pages, all under /dashboards/ in the `dashboards` namespace. Every page answers a
GET with the optional query parameters period (7d, 30d, 90d, 1y, 2y or custom with start and end as
YYYY-MM-DD), group (a service group), area (an area id within the user's scope) and organisation
(an organisation id):

- overview      /dashboards/                   key figures, drill-down by area, top services, series
- league        /dashboards/league/            league tables of departments and enterprise partners
- hotspots      /dashboards/hotspots/          grids by requests per household and by overdue share, map
- requests      /dashboards/requests/          the requests behind a figure (also figure=…, service=…)
- participation /dashboards/participation/     residents taking part, by area; communities ranked (also rank=…)
- programme     /dashboards/programme/         construction projects by area and funding source, delayed ones,
                                               and the assessment league of the latest closed round
- screen        /dashboards/screen/            the command-centre screen, refreshing itself
- display       /dashboards/display/<token>/   the same screen on a wall display, through a read-only link
- display_links /dashboards/display-links/     an oversight official's display links: make, list, revoke
- scorecard     /dashboards/scorecard/         a partner operator's own figures
- export        /dashboards/export/<table>.<csv|xlsx>   any table of the pages above
"""

from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("league/", views.league, name="league"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("requests/", views.request_list, name="requests"),
    path("participation/", views.participation, name="participation"),
    path("programme/", views.programme, name="programme"),
    path("screen/", views.screen, name="screen"),
    path("display/<str:token>/", views.display_screen, name="display"),
    path("display-links/", views.display_link_list, name="display_links"),
    path("display-links/<uuid:public_id>/revoke/", views.display_link_revoke, name="display_link_revoke"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("export/<slug:table>.<str:file_format>", views.export, name="export"),
]

# The pages a district leader reads, for the benchmark (bench/dashboards.py) to time.
BENCHMARK_PAGES = ("overview", "league", "hotspots", "requests", "screen")

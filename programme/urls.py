"""The programme's pages, under /programme/ in the `programme` namespace:

- home                        /programme/                          what the reader may do here
- construction projects       /programme/projects/…                (urls_projects)
- public project pages        /programme/public/…                  (urls_projects), for anyone
- the indicator system        /programme/indicators/…              (urls_assessment)
- assessment rounds           /programme/rounds/…                  (urls_assessment)
"""

from django.urls import path

from programme import urls_assessment, urls_projects, views

app_name = "programme"
urlpatterns = [
    path("", views.home, name="home"),
]
urlpatterns += urls_projects.urlpatterns
urlpatterns += urls_assessment.urlpatterns

from django.urls import path

from dashboards import public_views as views

app_name = "open_data"

urlpatterns = [
    path("", views.district, name="district"),
    path("communities/<slug:code>/", views.community, name="community"),
    path("data/", views.catalogue, name="catalogue"),
    path("data/<slug:dataset>.csv", views.dataset_csv, name="dataset_csv"),
    path("catalog.jsonld", views.dcat_catalog, name="dcat"),
    path("api/3/action/package_list", views.ckan_package_list, name="ckan_package_list"),
    path("api/3/action/package_show", views.ckan_package_show, name="ckan_package_show"),
]

"""Import API routes, included by exchange/urls.py under /exchange/api/v1/imports/. The import's
own routes come first: a dataset code is a slug, and an import's id would read as one too."""

from django.urls import path

from exchange.imports import api

urlpatterns = [
    path("<uuid:public_id>/", api.ImportDetailApi.as_view(), name="api_import"),
    path("<uuid:public_id>/rejected-rows/", api.ImportRejectionsApi.as_view(), name="api_import_rejections"),
    path("<slug:dataset>/", api.ImportCreateApi.as_view(), name="api_import_create"),
]

"""The API's OpenAPI schema and its documentation page, mounted at /api/. Swagger UI is served
from drf-spectacular-sidecar's static files, so the page works without the internet. (No ReDoc
page: its template loads web fonts from Google, which the district's networks may not reach.)
The split view serves Swagger UI's start-up script as a file of its own (docs/?script): the
Content-Security-Policy allows no inline script."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="partners/api_docs.html"),
        name="api_docs",
    ),
]

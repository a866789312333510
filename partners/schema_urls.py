"""The API's OpenAPI schema and its documentation page, mounted at /api/. Swagger UI is served
from drf-spectacular-sidecar's static files, so the page works without the internet. (No ReDoc
page: its template loads web fonts from Google, which the district's networks may not reach.)"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]

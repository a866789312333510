"""Open311 GeoReport v2 under /open311/v2/ (mounted in portal/urls.py).

The format is the suffix of every resource (`.json`, `.xml`); an unknown suffix is the spec's 400,
an unknown path its 404, both as Open311 errors rather than HTML pages.

The routes are unnamed on purpose: nothing in the portal links to them, and the reads are public by
the spec, so they do not belong in tests/test_security_probes.py's sweep of named pages (which
expects anonymous visitors to be turned away). tests in services/tests/test_open311.py hold this
API's own outsider checks.
"""

from django.urls import re_path

from services.open311 import views

# The last dot starts the format: ids and codes never contain one (a slug, a request number).
_FORMAT = r"\.(?P<fmt>[^/.]+)$"

urlpatterns = [
    re_path(rf"^discovery{_FORMAT}", views.discovery),
    re_path(rf"^services{_FORMAT}", views.service_list),
    re_path(rf"^services/(?P<service_code>[^/]+?){_FORMAT}", views.service_definition),
    re_path(rf"^requests{_FORMAT}", views.requests_collection),
    re_path(rf"^requests/(?P<service_request_id>[^/]+?){_FORMAT}", views.request_detail),
    re_path(rf"^tokens/(?P<token>[^/]+?){_FORMAT}", views.token),
    re_path(rf"^servicerequestupdates{_FORMAT}", views.updates),
    re_path(r"^(?P<path>.*)$", views.unknown),
]

"""What every partner API view shares: key authentication, a scope, per-key throttling in Redis
(security.api_throttle), input PostgreSQL can store (core.request_input), and an audit event for
every call."""

from django.utils.encoding import escape_uri_path
from rest_framework.permissions import IsAuthenticated

from core.request_input import drf_refuse_unstorable
from security.api_auth import ApiKeyAuthentication, HasScope
from security.api_throttle import ApiKeyRateThrottle
from security.audit import audit_record


class PartnerApiMixin:
    """Mix into a DRF view; set `required_scope` (a security.models.ApiScope value)."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [ApiKeyRateThrottle]
    required_scope: str = ""
    # Refused here rather than by core's middleware, so the answer is the API's JSON and the call
    # is audited like any other.
    handles_unstorable_input = True

    def get_permissions(self):
        return [IsAuthenticated(), HasScope.of(self.required_scope)()]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        drf_refuse_unstorable(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = request.auth if hasattr(request.auth, "prefix") else None
        if key is not None:
            audit_record(
                actor=request.user,
                action="api.call",
                target=key,
                # As sent (percent-encoded): a NUL the call was refused for cannot be stored as text.
                details={
                    "method": request.method,
                    "path": escape_uri_path(request.path),
                    "status": response.status_code,
                },
            )
        return response

"""What every partner API view shares: key authentication, a scope, per-key throttling in Redis
(security.api_throttle), and an audit event for every call."""

from rest_framework.permissions import IsAuthenticated

from security.api_auth import ApiKeyAuthentication, HasScope
from security.api_throttle import ApiKeyRateThrottle
from security.audit import audit_record


class PartnerApiMixin:
    """Mix into a DRF view; set `required_scope` (a security.models.ApiScope value)."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [ApiKeyRateThrottle]
    required_scope: str = ""

    def get_permissions(self):
        return [IsAuthenticated(), HasScope.of(self.required_scope)()]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = request.auth if hasattr(request.auth, "prefix") else None
        if key is not None:
            audit_record(
                actor=request.user,
                action="api.call",
                target=key,
                details={"method": request.method, "path": request.path, "status": response.status_code},
            )
        return response

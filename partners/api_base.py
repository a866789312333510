"""What every partner API view shares: key authentication, a scope, per-key throttling in Redis,
and an audit event for every call."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import SimpleRateThrottle

from security.api_auth import ApiKeyAuthentication, HasScope
from security.audit import audit_record


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Calls per key (per address before a key is known), counted in the shared "throttle" cache
    (Redis when REDIS_URL is set), so every web process sees the same count."""

    scope = "api_key"
    cache = caches["throttle"]

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if request.auth is not None and hasattr(request.auth, "pk"):
            ident = f"key:{request.auth.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"


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

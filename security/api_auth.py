"""Django REST framework authentication with a partner's API key."""

from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from security.api_keys import api_key_authenticate

HEADER = "HTTP_X_API_KEY"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-API-Key: sq_…`. The request then acts as the operator who created the key, and
    `request.auth` is the key (its scopes and organisation)."""

    def authenticate(self, request):
        raw_key = request.META.get(HEADER, "")
        if not raw_key:
            return None
        key = api_key_authenticate(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return key.created_by, key

    def authenticate_header(self, request):
        return "X-API-Key"


class HasScope:
    """Permission factory: `permission_classes = [HasScope.of("workorders:read")]`."""

    @staticmethod
    def of(scope: str):
        class ScopePermission(BasePermission):
            message = f"This API key lacks the scope {scope}."

            def has_permission(self, request, view):
                key = request.auth
                return key is not None and hasattr(key, "has_scope") and key.has_scope(scope)

        ScopePermission.__name__ = f"HasScope_{scope.replace(':', '_')}"
        return ScopePermission

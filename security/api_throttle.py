"""Calls per API key (per client address before a key is known), counted in the shared "throttle"
cache — Redis when REDIS_URL is set, so every web process sees the same count. One budget,
settings.API_RATE_LIMIT, covers the partner API and Open311 alike.

The address is the one the audit log records (`security.middleware`), which trusts
X-Forwarded-For only when AUDIT_TRUST_X_FORWARDED_FOR says a proxy of ours sets it, so an
anonymous client cannot shake off its count by sending a made-up header.
"""

import math
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from security.models import ApiKey
from security.request_context import client_address


def _address(request) -> str:
    return client_address.get() or request.META.get("REMOTE_ADDR", "")


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self):
        # Looked up per call, not at import, so the cache settings of the moment apply.
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        key = request.auth if isinstance(request.auth, ApiKey) else None
        ident = f"key:{key.pk}" if key is not None else f"addr:{_address(request)}"
        return f"throttle:{self.scope}:{ident}"


def throttle_wait(*, key: ApiKey | None, request) -> int | None:
    """For views outside DRF: count this call; None when it may go ahead, else the seconds to
    wait (for Retry-After)."""
    throttle = ApiKeyRateThrottle()
    caller = SimpleNamespace(auth=key, META={"REMOTE_ADDR": _address(request)}, headers={})
    if throttle.allow_request(caller, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))

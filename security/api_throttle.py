"""Calls per API key (per client address before a key is known): one budget, settings.API_RATE_LIMIT,
for the partner API (`ApiKeyRateThrottle`) and Open311 (`throttle_wait`) alike.

Each call is counted by `core.throttle` in the current fixed window of the rate's period: exactly,
across every web process, and never blocking the APIs when Redis is down.

The address is the one the audit log records (`security.middleware`), which trusts
X-Forwarded-For only when AUDIT_TRUST_X_FORWARDED_FOR says a proxy of ours sets it, so an
anonymous client cannot shake off its count by sending a made-up header.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.throttle import take_call
from security.models import ApiKey
from security.request_context import client_address

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


def rate() -> tuple[int, int]:
    """settings.API_RATE_LIMIT ("600/min", checked at start-up) as (calls, window seconds)."""
    calls, period = settings.API_RATE_LIMIT.split("/")
    return int(calls), _PERIOD_SECONDS[period[0]]


def _address(request) -> str:
    return client_address.get() or request.META.get("REMOTE_ADDR", "")


def throttle_wait(*, key: ApiKey | None, request) -> int | None:
    """Count this call against its key (its address without one): None when it may go ahead,
    else the seconds until its window ends (for Retry-After)."""
    ident = f"key:{key.pk}" if key is not None else f"addr:{_address(request)}"
    limit, window_seconds = rate()
    allowed, seconds_left = take_call(ident, limit=limit, window_seconds=window_seconds)
    return None if allowed else seconds_left


class ApiKeyRateThrottle(BaseThrottle):
    """`throttle_wait` for DRF views: a refused call answers 429 with Retry-After."""

    def allow_request(self, request, view) -> bool:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        self.seconds_left = throttle_wait(key=key, request=request)
        return self.seconds_left is None

    def wait(self) -> int | None:
        return self.seconds_left

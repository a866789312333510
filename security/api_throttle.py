"""Calls per API key (per client address before a key is known), counted in the shared "throttle"
cache — Redis when REDIS_URL is set, so every web process sees the same count. One budget,
settings.API_RATE_LIMIT, covers the partner API and Open311 alike.

The address is the one the audit log records (`security.middleware`), which trusts
X-Forwarded-For only when AUDIT_TRUST_X_FORWARDED_FOR says a proxy of ours sets it, so an
anonymous client cannot shake off its count by sending a made-up header.
"""

import math
import time
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from portal import shared_redis
from security.models import ApiKey
from security.request_context import client_address


def _address(request) -> str:
    return client_address.get() or request.META.get("REMOTE_ADDR", "")


def count_call(ident: str, *, window_seconds: int) -> tuple[int, int]:
    """Count one call of `ident` in the current fixed window of `window_seconds`; return the calls
    counted in it so far and the whole seconds until it ends. On Redis one atomic INCR counts, so
    concurrent web processes never lose a call."""
    now = time.time()
    window = int(now // window_seconds)
    seconds_left = max(1, math.ceil((window + 1) * window_seconds - now))
    cache = caches["throttle"]
    key = f"throttle:{ident}:{window}"
    client = shared_redis.client_for("throttle")
    if client is not None:
        redis_key = cache.make_key(key)  # the cache's prefix, so tests and benchmarks keep apart
        count = client.incr(redis_key)
        if count == 1:
            # The window's first call sets its end. A process dying in between leaves behind a key
            # that never expires, of a window that has passed: a few bytes, never a wrong count.
            client.expire(redis_key, window_seconds + 1)
        return count, seconds_left
    # Without Redis (development), the process's own memory.
    cache.add(key, 0, window_seconds + 1)
    return cache.incr(key), seconds_left


class ApiKeyRateThrottle(SimpleRateThrottle):
    """settings.API_RATE_LIMIT calls per key (per address before a key is known) in each fixed
    window of the rate's period; a refused call waits until the window ends."""

    scope = "api_key"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        key = request.auth if isinstance(request.auth, ApiKey) else None
        return f"key:{key.pk}" if key is not None else f"addr:{_address(request)}"

    def allow_request(self, request, view):
        count, self.seconds_left = count_call(self.get_cache_key(request, view), window_seconds=self.duration)
        return count <= self.num_requests

    def wait(self):
        return self.seconds_left


def throttle_wait(*, key: ApiKey | None, request) -> int | None:
    """For views outside DRF: count this call; None when it may go ahead, else the seconds to
    wait (for Retry-After)."""
    throttle = ApiKeyRateThrottle()
    caller = SimpleNamespace(auth=key, META={"REMOTE_ADDR": _address(request)}, headers={})
    if throttle.allow_request(caller, None):
        return None
    return throttle.wait()

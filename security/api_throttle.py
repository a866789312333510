"""Calls per API key (per client address before a key is known), counted in the shared "throttle"
cache — Redis when REDIS_URL is set, so every web process sees the same count — and taken from it
a few at a time (see `take_call`). One budget, settings.API_RATE_LIMIT, covers the partner API and
Open311 alike.

The address is the one the audit log records (`security.middleware`), which trusts
X-Forwarded-For only when AUDIT_TRUST_X_FORWARDED_FOR says a proxy of ours sets it, so an
anonymous client cannot shake off its count by sending a made-up header.
"""

import math
import threading
import time
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from portal import local_cache, shared_redis
from security.models import ApiKey
from security.request_context import client_address


def _address(request) -> str:
    return client_address.get() or request.META.get("REMOTE_ADDR", "")


# Calls are taken from Redis in leases: a web process takes a few of a key's calls at once and spends
# them itself, so a busy key costs one Redis round trip per lease instead of one per call. No more
# than the limit is ever handed out in a window. A key may be refused early by what other processes
# hold unspent, at most a lease less one each: so a lease is 1% of the limit, one call below 200 a
# window (exact, as every call asks), and at most 100.
_LEASE_SHARE = 100
_LEASE_MAX = 100


class _Leases:
    """This process's unspent calls, by counter key (its window in the key)."""

    lock = threading.Lock()
    unspent: dict[str, int] = {}


@local_cache.forgotten_with_everything
def forget_leases() -> None:
    """This process holds no calls."""
    with _Leases.lock:
        _Leases.unspent.clear()


def take_call(ident: str, *, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Take one call of `ident` in the current fixed window of `window_seconds`, of `limit` calls
    in all: whether it may go ahead, and the whole seconds until the window ends. On Redis one
    atomic INCRBY counts each lease, so concurrent web processes never hand out a call twice."""
    now = time.time()
    window = int(now // window_seconds)
    seconds_left = max(1, math.ceil((window + 1) * window_seconds - now))
    key = f"throttle:{ident}:{window}"
    with _Leases.lock:
        unspent = _Leases.unspent.pop(key, 0)
        if unspent:
            if unspent > 1:
                _Leases.unspent[key] = unspent - 1
            return True, seconds_left
        lease = max(1, min(_LEASE_MAX, limit // _LEASE_SHARE))
        taken = _count(key, lease, window_seconds=window_seconds)
        granted = min(lease, limit - (taken - lease))
        if granted <= 0:
            return False, seconds_left
        if len(_Leases.unspent) > 10_000:  # keys of windows gone by
            _Leases.unspent.clear()
        if granted > 1:
            _Leases.unspent[key] = granted - 1
        return True, seconds_left


def _count(key: str, lease: int, *, window_seconds: int) -> int:
    """Add `lease` to the window's counter in the shared "throttle" cache; the new total."""
    cache = caches["throttle"]
    client = shared_redis.client_for("throttle")
    if client is not None:
        redis_key = cache.make_key(key)  # the cache's prefix, so tests and benchmarks keep apart
        taken = client.incrby(redis_key, lease)
        if taken == lease:
            # The window's first lease sets its end. A process dying in between leaves behind a key
            # that never expires, of a window that has passed: a few bytes, never a wrong count.
            client.expire(redis_key, window_seconds + 1)
        return taken
    # Without Redis (development), the process's own memory.
    cache.add(key, 0, window_seconds + 1)
    return cache.incr(key, lease)


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
        allowed, self.seconds_left = take_call(
            self.get_cache_key(request, view), limit=self.num_requests, window_seconds=self.duration
        )
        return allowed

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

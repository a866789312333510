"""Counting calls in fixed windows, for rate limits: one counter per caller and window in the
"throttle" cache. On Redis that is an INCR and an EXPIRE sent together in one MULTI/EXEC, so every
web process counts on the same number and a limit holds exactly however many there are. Without
Redis (development, where one process serves) Django's cache counts. If Redis cannot be reached the
call goes ahead and a warning is logged: an outage of the counter must not take the API down with it.
"""

import functools
import logging
import math
import time

import redis
from django.conf import settings
from django.core.cache import caches
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
# A throttle that waits on Redis holds up the call it guards: give up quickly and let the call through.
_REDIS_TIMEOUT_SECONDS = 0.5


@functools.cache
def _redis_client(location: str) -> redis.Redis:
    """One connection pool per process and server. Django's cache API cannot send INCR and EXPIRE
    in one round trip, so the counter talks to the cache's server itself, under the cache's keys."""
    return redis.Redis.from_url(
        location,
        socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        socket_timeout=_REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def _count(key: str, *, expire_seconds: int) -> int:
    """Add this call to `key`'s counter in the "throttle" cache, which ends in `expire_seconds`;
    the calls counted so far, this one included."""
    cache = caches["throttle"]
    config = settings.CACHES["throttle"]
    if config["BACKEND"] == _REDIS_BACKEND:
        location = config["LOCATION"]
        primary = (location if isinstance(location, str) else location[0]).split(",")[0]
        redis_key = cache.make_key(key)  # the cache's prefix keeps test runs and benchmarks apart
        # Every call sets the same end (the window's), so a plain EXPIRE is right on any Redis version.
        with _redis_client(primary).pipeline(transaction=True) as pipeline:
            calls, _expiry_set = pipeline.incr(redis_key).expire(redis_key, expire_seconds).execute()
        return calls
    if cache.add(key, 1, expire_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window's counter ended between the two lines
        cache.set(key, 1, expire_seconds)
        return 1


def take_call(ident: str, *, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one call of `ident` in the current fixed window of `window_seconds`: whether it is
    within `limit`, and the whole seconds until the window ends (at least 1)."""
    now = time.time()
    window = int(now // window_seconds)
    seconds_left = max(1, math.ceil((window + 1) * window_seconds - now))
    try:
        calls = _count(f"throttle:{ident}:{window}", expire_seconds=seconds_left + 1)
    except (redis.RedisError, OSError) as exc:
        logger.warning("Throttle: the throttle cache cannot be reached, so this call is not counted: %s", exc)
        return True, seconds_left
    return calls <= limit, seconds_left

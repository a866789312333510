"""The few Redis commands on the API's hot path, sent through one client per process.

Django's Redis cache builds a client on every call, which costs more than a counter or a claim
itself; these go around it, to the same server and under the same keys. Without Redis
(development, or a cache of another kind) they fall back on the cache's own operations.
"""

import functools
import time

import redis
from django.conf import settings
from django.core.cache import caches

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


@functools.cache
def _client(location: str) -> redis.Redis:
    return redis.Redis.from_url(location)


def client_for(alias: str) -> redis.Redis | None:
    """The process's Redis client for cache `alias`, or None when that cache is not Redis."""
    config = settings.CACHES[alias]
    return _client(config["LOCATION"]) if config["BACKEND"] == _REDIS_BACKEND else None


def claim(key: str, seconds: int, *, alias: str = "default") -> bool:
    """Take `key` for `seconds` unless someone holds it already (SET NX): True if taken."""
    client = client_for(alias)
    if client is None:
        return caches[alias].add(key, 1, seconds)
    return bool(client.set(caches[alias].make_key(key), 1, nx=True, ex=seconds))


def claim_and_remaining(key: str, seconds: int, other_key: str, *, alias: str = "default") -> tuple[bool, int]:
    """`claim(key, seconds)`, and in the same round trip `remaining_ms(other_key)`."""
    client = client_for(alias)
    if client is None:
        return claim(key, seconds, alias=alias), remaining_ms(other_key, alias=alias)
    cache = caches[alias]
    pipeline = client.pipeline(transaction=False)
    pipeline.set(cache.make_key(key), 1, nx=True, ex=seconds)
    pipeline.pttl(cache.make_key(other_key))
    claimed, remaining = pipeline.execute()
    return bool(claimed), max(remaining, 0)


def hold(key: str, milliseconds: int, *, alias: str = "default") -> None:
    """Set `key` to live `milliseconds` from now, whoever held it."""
    client = client_for(alias)
    if client is None:
        # The cache cannot say how long an entry has left: the entry says when it ends.
        caches[alias].set(key, time.time() + milliseconds / 1000, milliseconds / 1000)
    else:
        client.set(caches[alias].make_key(key), 1, px=milliseconds)


def remaining_ms(key: str, *, alias: str = "default") -> int:
    """The milliseconds `key` (set by `hold`) has left to live; 0 when it is gone."""
    client = client_for(alias)
    if client is None:
        ends_at = caches[alias].get(key)
        return 0 if ends_at is None else max(int((ends_at - time.time()) * 1000), 0)
    return max(client.pttl(caches[alias].make_key(key)), 0)


def release(key: str, *, alias: str = "default") -> None:
    client = client_for(alias)
    if client is None:
        caches[alias].delete(key)
    else:
        client.delete(caches[alias].make_key(key))

"""The few Redis commands on the API's hot path, sent through one client per process.

Django's Redis cache builds a client on every call, which costs more than a counter or a claim
itself; these go around it, to the same server and under the same keys. Without Redis
(development, or a cache of another kind) they fall back on the cache's own operations.
"""

import functools

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


def release(key: str, *, alias: str = "default") -> None:
    client = client_for(alias)
    if client is None:
        caches[alias].delete(key)
    else:
        client.delete(caches[alias].make_key(key))

"""A namespace in each process's own memory (the `local` cache) for what every call reads and
what rarely changes: verified API keys, the service catalogue, routing, grids.

An entry lives LOCAL_CACHE_SECONDS. `forget` (connect it to the models' post_save and post_delete)
drops the whole namespace in this process at once — its generation is part of every key — and
other processes see the change when their entries expire.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches

_MISSING = object()


class LocalCache:
    def __init__(self, namespace: str):
        self.namespace = namespace
        self.generation = 0

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{self.generation}:{key}"

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value for `key`, computing and keeping it when missing. None is kept too,
        so a miss (an unknown code) costs a query only once per expiry."""
        cache = caches["local"]
        value = cache.get(self._key(key), _MISSING)
        if value is _MISSING:
            value = compute()
            cache.set(self._key(key), value, settings.LOCAL_CACHE_SECONDS)
        return value

    def set(self, key: str, value: Any) -> None:
        caches["local"].set(self._key(key), value, settings.LOCAL_CACHE_SECONDS)

    def forget(self, **kwargs) -> None:
        """Also a signal receiver: a row the namespace caches changed."""
        self.generation += 1

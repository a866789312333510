"""A namespace in each process's own memory for what every call reads and what rarely changes:
verified API keys, the service catalogue, routing, grids, who holds a role, partners' webhooks.

An entry lives LOCAL_CACHE_SECONDS. `forget` (connect it to the models' post_save and post_delete)
drops the whole namespace in this process at once, and other processes see the change when their
entries expire.

Entries are the objects themselves, not copies: a plain dict, because unpickling a copy from
Django's local-memory cache on every read cost more than the lookups it saved on the API's hot
path. So never change an object read from here, except through `set`.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

_MISSING = object()
# Past this many entries a namespace starts afresh: keys come from the catalogue (services ×
# grids at most), so only a flood of distinct unknown codes could get here.
_MAX_ENTRIES = 50_000
_namespaces: list["LocalCache"] = []


class LocalCache:
    def __init__(self, namespace: str):
        self.namespace = namespace
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _namespaces.append(self)

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value for `key`, computing and keeping it when missing. None is kept too,
        so a miss (an unknown code) costs a query only once per expiry."""
        expires_at, value = self._entries.get(key, (0.0, _MISSING))
        if value is _MISSING or expires_at < time.monotonic():
            value = compute()
            self.set(key, value)
        return value

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + settings.LOCAL_CACHE_SECONDS, value)

    def forget(self, **kwargs) -> None:
        """Also a signal receiver: a row the namespace caches changed."""
        with self._lock:
            self._entries.clear()


# What else a process remembers of shared state (the throttle's leases, the filing task's promise):
# functions that forget it, called with the namespaces.
_other_memory: list[Callable[[], None]] = []


def forgotten_with_everything(forget: Callable[[], None]) -> Callable[[], None]:
    """Decorator: `forget_everything` calls `forget` too."""
    _other_memory.append(forget)
    return forget


def forget_everything() -> None:
    """Empty every namespace of this process, and what else it remembers (tests start from nothing)."""
    for namespace in _namespaces:
        namespace.forget()
    for forget in _other_memory:
        forget()

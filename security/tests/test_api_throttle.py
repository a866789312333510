"""The throttle's count on real Redis: calls are taken a lease at a time, and no window ever hands
out more than its limit, however many web processes share it."""

import time
import uuid

from django.core.cache import caches

from portal import shared_redis
from security import api_throttle
from security.api_throttle import forget_leases, take_call


def redis_count(ident: str, window_seconds: int) -> int:
    key = caches["throttle"].make_key(f"throttle:{ident}:{int(time.time() // window_seconds)}")
    return int(shared_redis.client_for("throttle").get(key) or 0)


def fresh() -> str:
    return f"test:{uuid.uuid4().hex}"  # the Redis database outlives a test


def test_small_limits_ask_redis_every_call_and_stop_exactly_at_the_limit():
    ident = fresh()
    assert [take_call(ident, limit=3, window_seconds=3600)[0] for _ in range(4)] == [True, True, True, False]
    assert redis_count(ident, 3600) == 4  # one INCRBY 1 per call, the refused one included


def test_a_busy_key_asks_redis_once_a_lease(monkeypatch):
    ident, asked = fresh(), []
    count = api_throttle._count
    monkeypatch.setattr(api_throttle, "_count", lambda *args, **kwargs: asked.append(1) or count(*args, **kwargs))
    allowed = [take_call(ident, limit=1000, window_seconds=3600)[0] for _ in range(1000)]
    assert all(allowed)
    assert len(asked) == 100  # leases of 10 (1% of the limit)
    assert not take_call(ident, limit=1000, window_seconds=3600)[0]


def test_processes_sharing_a_key_never_get_more_than_the_limit_together():
    ident, limit = fresh(), 500  # leases of 5
    first = sum(take_call(ident, limit=limit, window_seconds=3600)[0] for _ in range(3))
    forget_leases()  # another process: it does not see the 2 calls the first holds unspent
    second = 0
    while take_call(ident, limit=limit, window_seconds=3600)[0]:
        second += 1
    assert first == 3
    # What the first still holds is lost to the others, at most a lease less one: never more.
    assert limit - 4 <= first + second <= limit
    assert second == limit - 5

"""The throttle on real Redis: one count per call in fixed windows, exact across processes, and a
call let through (with a warning) when Redis cannot be reached. How the partner API and Open311 answer
it (429 and Retry-After, one budget for both) is in tests/test_api_access.py."""

import logging
import math
import multiprocessing
import time
import uuid

import redis
from django.conf import settings
from django.core.cache import caches

from core.throttle import take_call


def fresh() -> str:
    return f"test:{uuid.uuid4().hex}"  # the Redis database outlives a test


def within_one_window(window_seconds: int, needed: float) -> None:
    """Wait for the next window if fewer than `needed` seconds are left of this one."""
    left = window_seconds - time.time() % window_seconds
    if left < needed:
        time.sleep(left + 0.01)


def redis_key(ident: str, window_seconds: int) -> str:
    return caches["throttle"].make_key(f"throttle:{ident}:{int(time.time() // window_seconds)}")


def throttle_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["throttle"]["LOCATION"])


def redis_count(ident: str, window_seconds: int) -> int:
    return int(throttle_redis().get(redis_key(ident, window_seconds)) or 0)


def take_calls(ident: str, limit: int, calls: int, start: multiprocessing.Event) -> list[bool]:
    start.wait(10)
    return [take_call(ident, limit=limit, window_seconds=3600)[0] for _ in range(calls)]


def test_the_limit_is_exact_and_every_call_is_counted():
    ident = fresh()
    within_one_window(3600, 5)
    assert [take_call(ident, limit=3, window_seconds=3600)[0] for _ in range(5)] == [True] * 3 + [False] * 2
    assert redis_count(ident, 3600) == 5  # refused calls count too: hammering does not reopen the window
    ttl = throttle_redis().ttl(redis_key(ident, 3600))
    assert 0 < ttl <= 3600 - time.time() % 3600 + 2  # the counter ends with its window


def test_two_processes_calling_at_once_share_exactly_the_limit():
    ident, limit = fresh(), 150
    within_one_window(3600, 30)
    context = multiprocessing.get_context("fork")  # the child inherits the test settings and prefix
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Event()
        runs = [pool.apply_async(take_calls, (ident, limit, 100, start)) for _ in range(2)]
        start.set()
        answers = [run.get(timeout=60) for run in runs]
    assert all(len(run) == 100 for run in answers)
    assert sum(sum(run) for run in answers) == limit  # 200 calls between them, exactly 150 let through
    assert redis_count(ident, 3600) == 200


def test_the_window_resets():
    ident = fresh()
    within_one_window(2, 1.5)
    assert [take_call(ident, limit=2, window_seconds=2)[0] for _ in range(3)] == [True, True, False]
    allowed, seconds_left = take_call(ident, limit=2, window_seconds=2)
    assert not allowed
    time.sleep(seconds_left)  # rounded up, so the next window has begun, and has more than a second to run
    assert [take_call(ident, limit=2, window_seconds=2)[0] for _ in range(3)] == [True, True, False]


def test_seconds_left_run_to_the_end_of_the_window():
    within_one_window(60, 3)
    ident = fresh()
    take_call(ident, limit=1, window_seconds=60)
    before = time.time()
    allowed, seconds_left = take_call(ident, limit=1, window_seconds=60)
    after = time.time()
    assert not allowed
    # Whole seconds until the minute ends, rounded up.
    assert math.ceil(60 - after % 60) <= seconds_left <= math.ceil(60 - before % 60)


def test_without_redis_the_cache_counts(settings):
    settings.CACHES = settings.CACHES | {
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-test"}
    }
    ident = fresh()
    within_one_window(3600, 5)
    assert [take_call(ident, limit=2, window_seconds=3600)[0] for _ in range(3)] == [True, True, False]


def test_when_redis_cannot_be_reached_calls_go_ahead_with_a_warning(settings, caplog):
    settings.CACHES = settings.CACHES | {  # a loopback port nothing listens on
        "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    ident = fresh()
    with caplog.at_level(logging.WARNING, logger="core.throttle"):
        started = time.monotonic()
        assert [take_call(ident, limit=1, window_seconds=3600)[0] for _ in range(3)] == [True, True, True]
        assert time.monotonic() - started < 3  # no retries, no long waits on a dead server
    warnings = [record for record in caplog.records if record.name == "core.throttle"]
    assert len(warnings) == 3
    assert all(record.levelno == logging.WARNING and "cannot be reached" in record.message for record in warnings)

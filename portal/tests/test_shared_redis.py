"""The hot path's Redis commands, on real Redis (the tests' "throttle" cache) and on the local
memory cache they fall back on without Redis: both must mean the same."""

import time
import uuid

import pytest

from portal import shared_redis


@pytest.fixture(params=["throttle", "default"], ids=["redis", "local-memory"])
def alias(request):
    expected = "RedisCache" if request.param == "throttle" else "LocMemCache"
    assert (shared_redis.client_for(request.param) is not None) == (expected == "RedisCache")
    return request.param


def fresh(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"  # the Redis database outlives a test


def test_a_claim_is_taken_once_until_released(alias):
    key = fresh("claim")
    assert shared_redis.claim(key, 60, alias=alias)
    assert not shared_redis.claim(key, 60, alias=alias)
    shared_redis.release(key, alias=alias)
    assert shared_redis.claim(key, 60, alias=alias)


def test_a_held_key_says_how_long_it_has_left_and_then_is_gone(alias):
    key = fresh("promise")
    assert shared_redis.remaining_ms(key, alias=alias) == 0
    shared_redis.hold(key, 300, alias=alias)
    assert 0 < shared_redis.remaining_ms(key, alias=alias) <= 300
    time.sleep(0.35)
    assert shared_redis.remaining_ms(key, alias=alias) == 0


def test_claim_and_remaining_answer_both_in_one_call(alias):
    key, other = fresh("claim"), fresh("promise")
    assert shared_redis.claim_and_remaining(key, 60, other, alias=alias) == (True, 0)
    shared_redis.hold(other, 10_000, alias=alias)
    claimed, remaining = shared_redis.claim_and_remaining(key, 60, other, alias=alias)
    assert not claimed
    assert 9_000 < remaining <= 10_000

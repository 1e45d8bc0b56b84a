"""Counters in the shared cache (meetings.live.counters): one round trip each on Redis, the
same values through Django's cache API, expiry only for new counters."""

import uuid

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from meetings.live.counters import add_then_incr, get_counts, incr_counts


@pytest.fixture
def prefix() -> str:
    return f"test-counters:{uuid.uuid4().hex}:"


def _ttl(key: str) -> int | None:
    """Seconds left of a counter on Redis (None on other caches, which do not tell)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True).ttl(backend.make_and_validate_key(key))


def test_counts_start_at_one_and_are_read_back_through_the_cache(prefix):
    a, b = f"{prefix}a", f"{prefix}b"
    assert incr_counts([(a, 30), (b, 60)]) == [1, 1]
    assert incr_counts([(a, 30), (b, 60)]) == [2, 2]
    assert incr_counts([(a, 30)]) == [3]
    assert get_counts([a, b, f"{prefix}never"]) == [3, 2, 0]
    assert cache.get(a) == 3


def test_a_running_counter_keeps_the_expiry_of_its_window(prefix):
    key = f"{prefix}window"
    incr_counts([(key, 30)])
    incr_counts([(key, 3600)])  # a later count must not extend the window
    ttl = _ttl(key)
    if ttl is not None:
        assert 0 < ttl <= 30


def test_add_then_incr_starts_from_the_given_value_and_renews_the_expiry(prefix):
    key = f"{prefix}version"
    assert add_then_incr(key, 1000, 30) == 1001
    assert add_then_incr(key, 5000, 600) == 1002  # an existing counter ignores the start
    assert cache.get(key) == 1002
    ttl = _ttl(key)
    if ttl is not None:
        assert 30 < ttl <= 600

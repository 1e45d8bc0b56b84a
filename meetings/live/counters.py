"""Counters in the shared cache, each request's counting in one round trip to Redis.

Django's cache API needs up to three round trips to count one thing (``add``; ``incr``, which
first asks whether the key exists, then increments) and one per key to read. A join asks two
rate-limit counters and counts a wrong passcode on both, and every change of a meeting's
people takes a new version: with this module each of these is one pipelined round trip
(docs/ARCHITECTURE.md, "Serving"). Values are the integers Django's Redis cache stores
unpickled, so ``cache.get`` reads them as before. Other cache backends (local memory in
development and tests) take the same steps through the cache API.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache


def _redis(backend: BaseCache):  # -> redis.Redis | None
    """The Redis client that takes writes, for Django's own Redis cache."""
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None


def get_counts(keys: Sequence[str], *, cache_name: str = "default") -> list[int]:
    """The counters' values (0 for missing ones), in one round trip on Redis."""
    backend = caches[cache_name]
    found = backend.get_many(list(keys))
    return [int(found.get(key) or 0) for key in keys]


def incr_counts(keys: Sequence[tuple[str, int]], *, cache_name: str = "default") -> list[int]:
    """Add one to each ``(key, timeout in seconds)`` counter and return the new values; a
    counter that did not exist starts at 1 and expires after its timeout (a running one keeps
    its expiry: fixed windows). One pipelined round trip on Redis."""
    backend = caches[cache_name]
    client = _redis(backend)
    if client is None:
        counts = []
        for key, timeout in keys:
            if backend.add(key, 1, timeout):
                counts.append(1)
                continue
            try:
                counts.append(backend.incr(key))
            except ValueError:  # expired between add and incr
                backend.set(key, 1, timeout)
                counts.append(1)
        return counts
    pipe = client.pipeline(transaction=False)
    for key, timeout in keys:
        full = backend.make_and_validate_key(key)
        pipe.incr(full)
        pipe.expire(full, timeout, nx=True)  # only a new counter gets its expiry
    replies = pipe.execute()
    return [int(count) for count in replies[::2]]


def add_then_incr(key: str, start: int, timeout: int, *, cache_name: str = "default") -> int:
    """Create the counter at ``start`` if it is missing (expiring after ``timeout`` seconds),
    then add one and renew the expiry; returns the new value. One round trip on Redis, and no
    moment in which the counter could expire between the two steps."""
    backend = caches[cache_name]
    client = _redis(backend)
    if client is None:
        backend.add(key, start, timeout)
        try:
            value = backend.incr(key)
        except ValueError:  # expired between add and incr
            value = start + 1
            backend.set(key, value, timeout)
            return value
        backend.touch(key, timeout)
        return value
    full = backend.make_and_validate_key(key)
    pipe = client.pipeline(transaction=True)  # MULTI/EXEC: nothing expires in between
    pipe.set(full, start, ex=timeout, nx=True)
    pipe.incr(full)
    pipe.expire(full, timeout)
    _added, value, _renewed = pipe.execute()
    return int(value)

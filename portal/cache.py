"""Django's Redis cache with one client, and so one connection pool, per process.

Django keeps a cache object per async context: under ASGI each websocket (each task) has its
own, which opened its own connection pool and a new TCP connection to Redis for its first
command (and redis-py reads its package metadata for each new connection). A thousand sockets
reconnecting after a restart opened a thousand Redis connections, the largest single cost of
a socket's connect (docs/ARCHITECTURE.md, lecture scale). Here the cache objects stay per
context, as Django wants, but share the client of their location and options; redis-py's pool
is thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    """``RedisCache`` whose client is shared by every cache object of the process with the
    same servers and options."""

    @cached_property
    def _cache(self) -> Any:
        key = repr((self._class, tuple(self._servers), sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(self._servers, **self._options)
        return client

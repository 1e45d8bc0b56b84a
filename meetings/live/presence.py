"""Which admitted participants have a connected socket, so that the host sees who dropped.

Counted per participant in the cache shared by all server processes (Redis in production; a
person may have the room open in two tabs). Only a count is kept, no address or time, and it
expires a day after the last change (a server killed without closing its sockets leaves at most
a stale "connected" for that long). See docs/ARCHITECTURE.md (live room, reconnects).
"""

from __future__ import annotations

from django.core.cache import cache

TTL_SECONDS = 24 * 3600


def _key(participant_pk: int) -> str:
    return f"live:sockets:{participant_pk}"


def socket_opened(participant_pk: int) -> bool:
    """Count a new socket; return whether it is the participant's only one (they came back)."""
    key = _key(participant_pk)
    cache.add(key, 0, TTL_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, TTL_SECONDS)
        count = 1
    cache.touch(key, TTL_SECONDS)
    return count == 1


def socket_closed(participant_pk: int) -> bool:
    """Count a closed socket; return whether the participant has none left (they dropped)."""
    key = _key(participant_pk)
    try:
        count = cache.decr(key)
    except ValueError:
        return True
    if count <= 0:
        cache.delete(key)
        return True
    return False


def connected(participant_pks: list[int]) -> set[int]:
    """The participants among ``participant_pks`` with at least one open socket."""
    counts = cache.get_many([_key(pk) for pk in participant_pks])
    return {pk for pk in participant_pks if (counts.get(_key(pk)) or 0) > 0}

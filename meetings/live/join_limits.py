"""Rate limits on wrong join attempts (docs/POLICY.md, security baseline).

About 10 failures per meeting and client per hour, and 30 per client across all meetings,
counted in fixed windows of an hour in the shared cache (Redis in production), so every server
process sees the same counts; a request reads or counts both limits in one round trip
(``meetings/live/counters.py``). A wrong meeting ID counts exactly like a wrong passcode, so that
the two cannot be told apart by the limits either.

No limit is per meeting alone: wrong attempts from elsewhere never lock out a person who has
the right passcode. A client is an IPv4 address or an IPv6 /64 network (one subscriber's
allocation), so changing addresses inside one's own network gains nothing. The numbers: a
generated passcode carries 40 bits (1.1 · 10¹² possibilities); at 30 guesses per hour and
network, even 100,000 networks need about 21 years on average to guess one, far longer than
any meeting lives.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.http import HttpRequest

from meetings.live.counters import get_counts, incr_counts

FAILURES_PER_MEETING = (10, 3600)  # per meeting and client: (failures, seconds)
FAILURES_PER_CLIENT = (30, 3600)
#: A counter outlives its window by this much, so that it is never gone while it counts.
EXPIRY_MARGIN_SECONDS = 5
_MEETING_GROUP = "meetings.join.meeting"
_CLIENT_GROUP = "meetings.join.client"


def client_address(request: HttpRequest) -> str:
    """The client's address: from the proxy's ``X-Forwarded-For`` only when the proxy is
    configured as trusted (``TRUSTED_PROXY``), else the socket's peer."""
    if settings.TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # the trusted proxy appends the address it saw last
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or "unknown"


def client_key(request: HttpRequest) -> str:
    """What the limits count per client: the IPv4 address, or the IPv6 /64 network."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _window_key(group: str, value: str, period: int, now: int) -> str:
    """The counter of ``value`` in the current fixed window of ``period`` seconds; hashed, so
    that no client address appears in the cache's keys."""
    window = now - now % period
    digest = hashlib.sha256(f"{group}|{value}|{period}|{window}".encode()).hexdigest()
    return f"join-limit:{digest}"


def _counters(request: HttpRequest, meeting_ref: str) -> list[tuple[str, int, int]]:
    """``(cache key, limit, seconds)`` of each limit that applies to this request."""
    now = int(time.time())
    return [
        (_window_key(group, value, seconds, now), limit, seconds)
        for group, value, (limit, seconds) in _limits(request, meeting_ref)
    ]


def is_blocked(request: HttpRequest, *, meeting_ref: str) -> bool:
    """Whether this meeting ID or this client has used up its wrong attempts for now (one
    round trip to the cache for both limits)."""
    counters = _counters(request, meeting_ref)
    counts = get_counts([key for key, _limit, _seconds in counters])
    limits = [limit for _key, limit, _seconds in counters]
    return any(count >= limit for count, limit in zip(counts, limits, strict=True))


def count_failure(request: HttpRequest, *, meeting_ref: str) -> None:
    """Count one wrong meeting ID or passcode against the meeting and the client (one round
    trip to the cache for both)."""
    incr_counts(
        [
            (key, seconds + EXPIRY_MARGIN_SECONDS)
            for key, _limit, seconds in _counters(request, meeting_ref)
        ]
    )


def _limits(request: HttpRequest, meeting_ref: str) -> list[tuple[str, str, tuple[int, int]]]:
    client = client_key(request)
    return [
        (_MEETING_GROUP, f"{meeting_ref}|{client}", FAILURES_PER_MEETING),
        (_CLIENT_GROUP, client, FAILURES_PER_CLIENT),
    ]

"""Rate limits on wrong join attempts (docs/POLICY.md, security baseline).

About 10 failures per meeting and client per hour, and 30 per client across all meetings,
counted in the shared cache (Redis in production) through django-ratelimit, so every server
process sees the same counts. A wrong meeting ID counts exactly like a wrong passcode, so that
the two cannot be told apart by the limits either.

No limit is per meeting alone: wrong attempts from elsewhere never lock out a person who has
the right passcode. A client is an IPv4 address or an IPv6 /64 network (one subscriber's
allocation), so changing addresses inside one's own network gains nothing. The numbers: a
generated passcode carries 40 bits (1.1 · 10¹² possibilities); at 30 guesses per hour and
network, even 100,000 networks need about 21 years on average to guess one, far longer than
any meeting lives.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

FAILURES_PER_MEETING = "10/h"  # per meeting and client
FAILURES_PER_CLIENT = "30/h"
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


def _usage(request: HttpRequest, group: str, value: str, rate: str, increment: bool) -> dict:
    return get_usage(
        request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment
    ) or {"count": 0, "limit": 1}


def is_blocked(request: HttpRequest, *, meeting_ref: str) -> bool:
    """Whether this meeting ID or this client has used up its wrong attempts for now."""
    for group, value, rate in _limits(request, meeting_ref):
        usage = _usage(request, group, value, rate, increment=False)
        if usage["count"] >= usage["limit"]:
            return True
    return False


def count_failure(request: HttpRequest, *, meeting_ref: str) -> None:
    """Count one wrong meeting ID or passcode against the meeting and the client."""
    for group, value, rate in _limits(request, meeting_ref):
        _usage(request, group, value, rate, increment=True)


def _limits(request: HttpRequest, meeting_ref: str) -> list[tuple[str, str, str]]:
    client = client_key(request)
    return [
        (_MEETING_GROUP, f"{meeting_ref}|{client}", FAILURES_PER_MEETING),
        (_CLIENT_GROUP, client, FAILURES_PER_CLIENT),
    ]

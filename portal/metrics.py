"""The Prometheus endpoint ``/metrics``: the portal's own gauges and counters, computed when
scraped from the shared state (PostgreSQL, Redis), so that any ASGI process answers for all.

Protected: a bearer token (``METRICS_TOKEN``) or the scraper's address in
``METRICS_ALLOWED_IPS``; neither configured means 404. Aggregates only, never a person
(docs/POLICY.md, statistics). docs/OPERATIONS.md lists the series and alerts worth setting.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import os
import socket
import time
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

# -- open websockets, counted per process in Redis --------------------------------------------
WEBSOCKETS_KEY = "portal:websockets"
#: a process' count older than this is left out (the process is gone)
WEBSOCKET_COUNT_FRESH_SECONDS = 90
_open_here = 0
_process = f"{socket.gethostname()}:{os.getpid()}"


_client = None


def _redis():  # noqa: ANN202
    """One client per process (its pool is thread-safe): a new connection per websocket cost
    each handshake a TCP connect and a name lookup (docs/ARCHITECTURE.md, lecture scale)."""
    global _client  # noqa: PLW0603 -- one client per process, by design
    if _client is None:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
    return _client


def _publish_count() -> None:
    if not settings.REDIS_URL:
        return
    try:
        _redis().hset(WEBSOCKETS_KEY, _process, f"{_open_here}:{time.time():.0f}")
    except Exception:  # noqa: BLE001 -- a metric never breaks a websocket
        return


def open_websockets() -> int:
    """Open websockets of every process that reported in the last 90 s."""
    if not settings.REDIS_URL:
        return _open_here
    entries = _redis().hgetall(WEBSOCKETS_KEY)
    total = 0
    for value in entries.values():
        count, _sep, at = value.decode().partition(":")
        if time.time() - float(at or 0) <= WEBSOCKET_COUNT_FRESH_SECONDS:
            total += int(count)
    return total


#: how often a process with open websockets republishes its count (fresh for 90 s)
WEBSOCKET_REFRESH_SECONDS = 30


class _Publisher:
    """The process' count goes to Redis from one task per event loop, not from each socket.

    A change asks for a publication and does not wait for it: the handshake goes on. Changes
    while one is being written are sent together by the next one (a thousand sockets
    reconnecting after a restart cause a few writes, not a thousand); while sockets are open,
    the count is republished every ``WEBSOCKET_REFRESH_SECONDS``.
    """

    def __init__(self) -> None:
        import asyncio

        self.wanted = asyncio.Event()
        self.task: asyncio.Task | None = None

    def request(self) -> None:
        import asyncio

        self.wanted.set()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        import asyncio

        from asgiref.sync import sync_to_async

        publish = sync_to_async(_publish_count, thread_sensitive=False)
        while True:
            self.wanted.clear()
            await publish()
            if _open_here <= 0 and not self.wanted.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wanted.wait(), WEBSOCKET_REFRESH_SECONDS)


_publishers: dict[int, _Publisher] = {}


def _publisher() -> _Publisher:
    import asyncio

    loop = asyncio.get_running_loop()
    publisher = _publishers.get(id(loop))
    if publisher is None or publisher.task is not None and publisher.task.get_loop() is not loop:
        publisher = _publishers[id(loop)] = _Publisher()
    return publisher


class CountedWebsocket:
    """ASGI wrapper of a websocket consumer: counts the connection from accept to close; the
    process' count is published by :class:`_Publisher`."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        global _open_here  # noqa: PLW0603 -- one count per process, by design
        accepted = False

        async def counting_send(message: dict) -> None:
            global _open_here  # noqa: PLW0603
            nonlocal accepted
            if message.get("type") == "websocket.accept" and not accepted:
                accepted = True
                _open_here += 1
                _publisher().request()
            await send(message)

        try:
            await self.inner(scope, receive, counting_send)
        finally:
            if accepted:
                _open_here -= 1
                _publisher().request()


# -- the collector ------------------------------------------------------------------------------
class PortalCollector:
    """Every series, computed at scrape time."""

    def collect(self) -> Iterator[Metric]:
        from meetings.live.models import Participant
        from meetings.scheduling.models import Meeting

        running = Meeting.objects.filter(status=Meeting.Status.RUNNING)
        yield GaugeMetricFamily(
            "portal_rooms_running", "Meetings running now.", value=running.count()
        )
        people = GaugeMetricFamily(
            "portal_participants", "People in running meetings by state.", labels=["state"]
        )
        counts = dict(
            Participant.objects.filter(meeting__status=Meeting.Status.RUNNING)
            .values_list("state")
            .annotate(n=Count("pk"))
        )
        for state in (Participant.State.WAITING, Participant.State.ADMITTED):
            people.add_metric([state], counts.get(state, 0))
        yield people
        yield GaugeMetricFamily(
            "portal_websockets_open", "Open websockets of all processes.", value=open_websockets()
        )
        yield from self.media_servers()
        yield from self.sso_failures()
        yield from self.purges()
        yield from self.queues()

    def media_servers(self) -> Iterator[Metric]:
        servers = GaugeMetricFamily(
            "portal_media_servers", "Configured media servers by state.", labels=["state"]
        )
        rooms = GaugeMetricFamily(
            "portal_media_rooms_open", "Open media rooms per server.", labels=["server"]
        )
        if "janus" in settings.MEETINGS_BACKEND.lower():
            from meetings.backends.janus import configured_servers, healthy
            from meetings.backends.models import JanusRoom

            configured = configured_servers()
            up = sum(1 for server in configured if healthy(server))
            servers.add_metric(["up"], up)
            servers.add_metric(["down"], len(configured) - up)
            open_rooms = dict(
                JanusRoom.objects.filter(destroyed_at__isnull=True)
                .values_list("server")
                .annotate(n=Count("pk"))
            )
            for index, server in enumerate(configured, start=1):
                rooms.add_metric([f"media-{index}"], open_rooms.get(server.name, 0))
        else:
            servers.add_metric(["up"], 0)
            servers.add_metric(["down"], 0)
        yield servers
        yield rooms

    def sso_failures(self) -> Iterator[Metric]:
        from portal.identity.sso.adapters import refusal_messages
        from portal.identity.sso.failures import sso_failures

        family = CounterMetricFamily(
            "portal_sso_failures", "Refused SSO logins by reason.", labels=["reason"]
        )
        for reason, value in sso_failures([*refusal_messages(), "too_young"]).items():
            family.add_metric([reason], value)
        yield family

    def purges(self) -> Iterator[Metric]:
        from retention.models import PurgeRun
        from retention.registry import registry

        success = GaugeMetricFamily(
            "portal_purge_last_success_timestamp_seconds",
            "When the last successful purge of a category finished (Unix time; 0: never).",
            labels=["category"],
        )
        age = GaugeMetricFamily(
            "portal_purge_last_success_age_seconds",
            "Seconds since the last successful purge of a category (-1: never).",
            labels=["category"],
        )
        started = GaugeMetricFamily(
            "portal_purge_last_run_age_seconds",
            "Seconds since the last purge run of a category started, whatever its result.",
            labels=["category"],
        )
        last_success = dict(
            PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED)
            .values_list("category")
            .annotate(at=Max("finished_at"))
        )
        last_start = dict(PurgeRun.objects.values_list("category").annotate(at=Max("started_at")))
        at = now()
        for category in registry:
            name = category.identifier
            finished = last_success.get(name)
            success.add_metric([name], finished.timestamp() if finished else 0)
            age.add_metric([name], (at - finished).total_seconds() if finished else -1)
            if last_start.get(name):
                started.add_metric([name], (at - last_start[name]).total_seconds())
        yield success
        yield age
        yield started

    def queues(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "portal_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
            import redis

            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
            )
            try:
                family.add_metric(["celery"], client.llen("celery"))
            finally:
                client.close()
        yield family


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    address = request.META.get("REMOTE_ADDR", "")
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The exposition text for Prometheus; 404 for anybody not allowed (nothing to learn)."""
    if not _allowed(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

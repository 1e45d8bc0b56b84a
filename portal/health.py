"""The health endpoint's checks, and the middleware that answers a probe sent straight to an
upstream process.

``ok`` (and the HTTP status, 200 or 503) is *readiness*: the services every request needs, the
database always and Redis when configured. A load balancer takes a process out on 503. The
background machinery (Celery workers, beat, the nightly purge) and, with ``?deep=1``, the media
servers are reported beside it with their own ``ok``: their failure is an operator's alarm, not
a reason to stop serving pages (docs/OPERATIONS.md, monitoring). Nothing here names a person.
"""

import functools
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.utils.timezone import now

#: beat sends the heartbeat every minute; three missed ones mean beat or every worker is away
HEARTBEAT_MAX_AGE_SECONDS = 180
#: the purge runs nightly: a category without a success for more than a day and a bit is late
PURGE_MAX_AGE_HOURS = 26


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "down"; the class name says which
        return False, type(error).__name__
    return True, "ok"


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    """One client (with its connection pool) per process: a new connection per probe cost
    more than the rest of ``/healthz`` (benchmarks/serving.py)."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
    )


def check_redis() -> tuple[bool, str]:
    try:
        _redis_client(settings.REDIS_URL).ping()
    except Exception as error:
        return False, type(error).__name__
    return True, "ok"


def check_celery_workers() -> dict:
    """Whether at least one Celery worker answers a ping through the broker (1 s at most)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "detail": "tasks run inline"}
    from portal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
            broker.ensure_connection(max_retries=1, timeout=1)
            replies = app.control.ping(timeout=1.0, limit=1, connection=broker)
    except Exception as error:
        return {"ok": False, "detail": type(error).__name__}
    if not replies:
        return {"ok": False, "detail": "no worker answered"}
    return {"ok": True, "detail": "a worker answered"}


def check_beat() -> dict:
    """The age of the last heartbeat that beat sent and a worker ran."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "detail": "tasks run inline"}
    from django.core.cache import cache

    from retention.tasks import HEARTBEAT_CACHE_KEY

    try:
        beat = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception as error:
        return {"ok": False, "detail": type(error).__name__}
    if beat is None:
        return {"ok": False, "detail": "no heartbeat yet", "age_seconds": None}
    age = round(now().timestamp() - beat, 1)
    return {"ok": age <= HEARTBEAT_MAX_AGE_SECONDS, "detail": "heartbeat", "age_seconds": age}


def check_purge() -> dict:
    """The age of the last successful purge of each registered category, in hours."""
    from django.db.models import Max

    from retention.models import PurgeRun
    from retention.registry import registry

    try:
        last = dict(
            PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED)
            .values_list("category")
            .annotate(last=Max("finished_at"))
        )
    except Exception as error:
        return {"ok": False, "detail": type(error).__name__}
    at = now()
    ages = {
        category.identifier: (
            round((at - last[category.identifier]).total_seconds() / 3600, 2)
            if last.get(category.identifier)
            else None
        )
        for category in registry
    }
    known = [age for age in ages.values() if age is not None]
    never = sorted(name for name, age in ages.items() if age is None)
    oldest = max(known) if known else None
    return {
        "ok": not never and (oldest is None or oldest <= PURGE_MAX_AGE_HOURS),
        "oldest_success_age_hours": oldest,
        "never_succeeded": never,
        "last_success_age_hours": ages,
    }


def check_media_servers() -> dict:
    """Each configured media server (Janus) by position, never by address: answers or not."""
    if "janus" not in settings.MEETINGS_BACKEND.lower():
        return {"ok": True, "detail": "no media servers with this backend", "servers": {}}
    from meetings.backends.janus import JanusClient, JanusError, configured_servers

    servers = {}
    for index, server in enumerate(configured_servers(), start=1):
        try:
            JanusClient(server).info(timeout=1.0)
        except JanusError as error:
            servers[f"media-{index}"] = {"ok": False, "detail": type(error).__name__}
        else:
            servers[f"media-{index}"] = {"ok": True, "detail": "ok"}
    return {"ok": all(s["ok"] for s in servers.values()), "servers": servers}


def run_checks(*, deep: bool = False) -> dict:
    """Run every configured check; ``ok`` is true only when the services requests need pass."""
    started = time.monotonic()
    checks = {"database": check_database()}
    if settings.REDIS_URL:
        checks["redis"] = check_redis()
    result = {
        "ok": all(passed for passed, _detail in checks.values()),
        "checks": {
            name: {"ok": passed, "detail": detail} for name, (passed, detail) in checks.items()
        },
    }
    if checks["database"][0]:
        background = {
            "celery_workers": check_celery_workers(),
            "celery_beat": check_beat(),
            "purge": check_purge(),
        }
        if deep:
            background["media_servers"] = check_media_servers()
        result["background"] = background
    result["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def health_response(request: HttpRequest) -> JsonResponse:
    result = run_checks(deep=request.GET.get("deep") == "1")
    response = JsonResponse(result, status=200 if result["ok"] else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answer ``GET /healthz`` first, before the HTTPS redirect and the host check.

    A load balancer probes each upstream process directly, over plain HTTP and with the
    process' own address or a name of its own as Host: the portal's ``SECURE_SSL_REDIRECT``
    would answer 301 and ``ALLOWED_HOSTS`` 400. The probe is answered for the hosts in
    ``HEALTH_CHECK_HOSTS`` (and ``ALLOWED_HOSTS``); any other host goes the normal way (400).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            domain, _port = split_domain_port(request.META.get("HTTP_HOST", ""))
            allowed = [*settings.HEALTH_CHECK_HOSTS, *settings.ALLOWED_HOSTS]
            if domain and validate_host(domain, allowed):
                return health_response(request)
        return self.get_response(request)

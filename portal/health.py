"""Readiness checks for the health endpoint: the database always, Redis when configured."""

import time

import redis
from django.conf import settings
from django.db import connection


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "down"; the class name says which
        return False, type(error).__name__
    return True, "ok"


def check_redis() -> tuple[bool, str]:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
    )
    try:
        client.ping()
    except Exception as error:
        return False, type(error).__name__
    finally:
        client.close()
    return True, "ok"


def run_checks() -> dict:
    """Run every configured check; ``ok`` is true only when all pass."""
    started = time.monotonic()
    checks = {"database": check_database()}
    if settings.REDIS_URL:
        checks["redis"] = check_redis()
    return {
        "ok": all(passed for passed, _detail in checks.values()),
        "checks": {
            name: {"ok": passed, "detail": detail} for name, (passed, detail) in checks.items()
        },
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }

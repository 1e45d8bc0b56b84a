"""Settings come from the environment; each case runs in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "debug": settings.DEBUG,
    "email": settings.EMAIL_BACKEND,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""
BASE_ENV = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings"}


def probe(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_runs_on_embedded_defaults_without_any_variable():
    values = probe()
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["broker"] == "memory://"
    assert values["eager"] is True
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"


def test_it_uses_postgresql_and_redis_when_configured():
    values = probe(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["cache"] == "portal.cache.SharedRedisCache"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["eager"] is False


def test_it_reads_hosts_and_mail_from_the_environment():
    values = probe(
        ALLOWED_HOSTS="meet.uni.example,sp.uni.example",
        EMAIL_URL="smtp+tls://mailer:secret@mail.uni.example:587",
    )
    assert values["allowed_hosts"] == ["meet.uni.example", "sp.uni.example"]
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**BASE_ENV, "DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!q2-production-like-secret-key-with-enough-entropy-9f8e7d6c5b4a3",
    "ALLOWED_HOSTS": "meet.uni.example",
    "PORTAL_BASE_URL": "https://meet.uni.example",
    # each secret at rest has its own variable (docs/OPERATIONS.md, secrets)
    "PASSCODE_ENCRYPTION_KEY": "m1mS8nQ0Yb3o2w3lJrQ0f7d0Jm4S4mJ5o7vQ0bq9nXQ=",
    "CONSENT_SUBJECT_KEY": "1:consent-subject-key-of-its-own-4f1c2b",
    "RETENTION_REFERENCE_SECRET": "1:deletion-log-reference-secret-8a7e",
}


def test_check_deploy_names_each_missing_secret():
    env = {
        key: value
        for key, value in {**BASE_ENV, **PRODUCTION_ENV}.items()
        if key not in ("PASSCODE_ENCRYPTION_KEY", "RETENTION_REFERENCE_SECRET")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PASSCODE_ENCRYPTION_KEY is not set" in result.stderr
    assert "RETENTION_REFERENCE_SECRET is not set" in result.stderr
    assert "CONSENT_SUBJECT_KEY is not set" not in result.stderr


def test_check_deploy_reports_nothing_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**BASE_ENV, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_production_pages_carry_the_security_headers(client, settings):
    response = client.get("/", secure=True)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp

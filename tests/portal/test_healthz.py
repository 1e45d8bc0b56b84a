import json

import pytest


@pytest.mark.django_db
def test_it_answers_ok_when_the_database_is_up(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"] == {"database": {"ok": True, "detail": "ok"}}


@pytest.mark.django_db
def test_it_reports_redis_down_with_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"] == {"ok": False, "detail": "ConnectionError"}


@pytest.mark.django_db
def test_it_reports_the_database_down_with_503(client, monkeypatch, settings):
    settings.REDIS_URL = ""
    from django.db import OperationalError

    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("portal.health.connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "OperationalError"}


@pytest.mark.redis
@pytest.mark.django_db
def test_it_checks_the_real_redis_when_configured(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_it_rejects_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_it_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


# -- a probe straight to an upstream process --------------------------------------------------
@pytest.fixture
def production_like(settings):
    """HTTPS redirect on, the public name only in ALLOWED_HOSTS, the probe's name apart."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["meet.uni.example"]
    settings.HEALTH_CHECK_HOSTS = ["10.0.0.7", "portal-upstream"]
    settings.REDIS_URL = ""
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.0.0.7:8001", "portal-upstream", "meet.uni.example"])
def test_a_probe_over_plain_http_to_an_upstream_is_answered(client, production_like, host):
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json()["ok"] is True


@pytest.mark.django_db
def test_a_probe_with_an_unknown_host_is_refused(client, production_like):
    assert client.get("/healthz", HTTP_HOST="attacker.example").status_code == 400


@pytest.mark.django_db
def test_the_health_host_reaches_nothing_but_the_health_check(client, production_like):
    assert client.get("/", HTTP_HOST="10.0.0.7").status_code == 400
    # pages on the public name still go to HTTPS
    assert client.get("/", HTTP_HOST="meet.uni.example").status_code == 301


# -- the background machinery beside readiness ---------------------------------------------
@pytest.fixture
def with_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


@pytest.mark.django_db
def test_beat_without_a_heartbeat_is_reported_but_the_process_stays_ready(client, with_broker):
    from django.core.cache import cache

    from retention.tasks import HEARTBEAT_CACHE_KEY

    cache.delete(HEARTBEAT_CACHE_KEY)
    with_broker.REDIS_URL = ""
    with_broker.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # no broker: no worker either
    response = client.get("/healthz")
    assert response.status_code == 200
    background = response.json()["background"]
    assert background["celery_beat"] == {
        "ok": False,
        "detail": "no heartbeat yet",
        "age_seconds": None,
    }
    assert background["celery_workers"]["ok"] is False


@pytest.mark.django_db
def test_the_heartbeat_a_worker_ran_makes_beat_ok(with_broker):
    from portal.health import check_beat
    from retention.tasks import heartbeat

    heartbeat.apply()
    result = check_beat()
    assert result["ok"] is True
    assert 0 <= result["age_seconds"] < 60


@pytest.mark.django_db
def test_the_purge_reports_each_categorys_last_success(client):
    import datetime

    from django.utils.timezone import now

    from portal.health import check_purge
    from retention.models import PurgeRun
    from retention.registry import registry

    result = check_purge()
    assert result["ok"] is False
    assert result["never_succeeded"] == sorted(c.identifier for c in registry)

    for hours, category in enumerate(registry, start=1):
        PurgeRun.objects.create(
            category=category.identifier,
            status=PurgeRun.Status.SUCCEEDED,
            finished_at=now() - datetime.timedelta(hours=hours),
        )
    result = check_purge()
    assert result["ok"] is True
    assert result["never_succeeded"] == []
    assert len(list(registry)) - 0.1 < result["oldest_success_age_hours"] <= len(list(registry))

    late = next(iter(registry)).identifier
    PurgeRun.objects.filter(category=late).update(finished_at=now() - datetime.timedelta(hours=30))
    PurgeRun.objects.create(category=late, status=PurgeRun.Status.FAILED, finished_at=now())
    result = check_purge()
    assert result["ok"] is False  # a failed run is no success
    assert result["last_success_age_hours"][late] >= 30


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_answers_the_health_check(tmp_path, with_broker):
    from portal.health import check_celery_workers
    from tests.retention.test_nightly_task import _wait_until_ready, celery_worker

    log = tmp_path / "worker.log"
    with celery_worker(log, "health-probe") as worker:
        _wait_until_ready(worker, log)
        assert check_celery_workers() == {"ok": True, "detail": "a worker answered"}


@pytest.mark.janus
@pytest.mark.django_db
def test_deep_reports_each_media_server_by_position(client, janus, settings):
    settings.REDIS_URL = ""
    settings.JANUS_SERVERS = [
        *settings.JANUS_SERVERS,
        {"api": "http://127.0.0.1:1/janus", "admin": "http://127.0.0.1:1/admin", "public": ""},
    ]
    assert "media_servers" not in client.get("/healthz").json()["background"]
    body = client.get("/healthz?deep=1").json()
    assert body["ok"] is True  # media servers do not take the process out of the balancer
    servers = body["background"]["media_servers"]
    assert servers["ok"] is False
    assert servers["servers"]["media-1"] == {"ok": True, "detail": "ok"}
    assert servers["servers"]["media-2"]["ok"] is False
    assert "127.0.0.1" not in json.dumps(body)

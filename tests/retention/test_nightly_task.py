"""The nightly task: its beat schedule, and a run through a real Celery worker on Redis."""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils.timezone import now
from django_celery_beat.models import PeriodicTask

from portal.identity.models import User
from retention import services
from retention.models import DeletionLogEntry, PurgeRun
from retention.schedule import ensure_nightly_tasks, periodic_task_name
from tests.factories import backdate, make_user
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_every_registered_category_has_a_nightly_task(db):
    task = PeriodicTask.objects.get(name=periodic_task_name("stale_accounts"))

    assert task.task == "retention.tasks.purge_category"
    assert json.loads(task.kwargs) == {"category": "stale_accounts"}
    assert task.crontab.hour == "2"
    assert task.enabled


def test_an_admins_change_to_the_schedule_is_kept_after_migrate(db):
    task = PeriodicTask.objects.get(name=periodic_task_name("stale_accounts"))
    task.enabled = False
    task.save()

    created = ensure_nightly_tasks()

    assert created == []
    task.refresh_from_db()
    assert not task.enabled


def test_the_task_runs_the_purge(db):
    from retention.tasks import purge_category

    user = backdate(
        make_user("gone", is_active=False), deletion_due_at=now() - datetime.timedelta(days=1)
    )

    result = purge_category.apply(args=["stale_accounts"])

    assert result.get()["done"] == 1
    user.refresh_from_db()
    assert user.username == f"anonymised-{user.pk}"


def _wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    def ready() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited:\n{log.read_text()}")
        return " ready." in log.read_text()

    if not wait_until(ready, timeout=timeout):
        raise AssertionError(f"the worker did not start in time:\n{log.read_text()}")


@contextlib.contextmanager
def celery_worker(log: Path, queue: str, *extra_args: str) -> Iterator[subprocess.Popen]:
    """A real ``celery -A portal worker`` on the test database and Redis, for one queue;
    stopped (SIGTERM, then kill) when the block ends."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            *extra_args,
            "--pool",
            "solo",
            "--queues",
            queue,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.fixture
def left_account(transactional_db) -> User:
    """An account whose deletion date has passed, under the default "left" rule (an earlier
    transactional test may have flushed the default rules)."""
    from retention.models import RetentionRule

    RetentionRule.objects.get_or_create(
        category="stale_accounts",
        counts_from="account_left",
        defaults={"period_amount": 30, "action": "anonymise"},
    )
    return backdate(
        make_user("left", is_active=False), deletion_due_at=now() - datetime.timedelta(days=1)
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_runs_through_a_real_worker_on_redis(tmp_path, left_account):
    from portal.celery import app

    user = left_account
    nightly = PeriodicTask.objects.get(name=periodic_task_name("stale_accounts"))
    queue = f"retention-test-{os.getpid()}"
    log = tmp_path / "worker.log"
    with celery_worker(log, queue) as worker:
        # the same task and arguments that beat sends at night, on the real broker
        _wait_until_ready(worker, log)
        result = app.send_task(nightly.task, kwargs=json.loads(nightly.kwargs), queue=queue)
        try:
            outcome = result.get(timeout=60)
        except Exception as exc:
            broker = app.connection().as_uri()
            raise AssertionError(f"task {result.id} via {broker}:\n{log.read_text()}") from exc

    assert outcome["status"] == "succeeded", log.read_text()
    assert outcome["done"] == 1
    user.refresh_from_db()
    assert user.username == f"anonymised-{user.pk}"
    run = PurgeRun.objects.get(category="stale_accounts")
    assert (run.status, run.anonymised_count) == (PurgeRun.Status.SUCCEEDED, 1)
    assert DeletionLogEntry.objects.get().references == [
        services.item_reference(f"portal.user:{user.pk}")
    ]
    assert "retention.tasks.purge_category" in log.read_text()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_beat_sends_the_scheduled_task_from_its_database_row_to_a_worker(tmp_path, left_account):
    from django_celery_beat.models import IntervalSchedule

    user = left_account
    queue = f"retention-beat-test-{os.getpid()}"
    # as an admin would edit it: every second instead of nightly, on this test's own queue
    nightly = PeriodicTask.objects.get(name=periodic_task_name("stale_accounts"))
    nightly.crontab = None
    nightly.interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    nightly.queue = queue
    nightly.save()
    log = tmp_path / "worker.log"
    beat = ("-B", "--scheduler", "django", "--schedule", str(tmp_path / "beat-schedule"))
    with celery_worker(log, queue, *beat):
        wait_until(
            PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED).exists,
            timeout=60,
            interval=0.5,
        )

    run = PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED).first()
    assert run is not None, log.read_text()
    user.refresh_from_db()
    assert user.username == f"anonymised-{user.pk}"
    assert DeletionLogEntry.objects.count() == 1  # later runs found nothing left to do


def test_a_failing_purge_fails_the_task_without_the_original_exception(db, monkeypatch):
    from retention.tasks import purge_category

    def broken(**kwargs):
        raise ValueError("duplicate key\nDETAIL: Key (email)=(erika@uni.example) exists")

    monkeypatch.setattr(services, "purge_category", broken)

    with pytest.raises(services.PurgeFailed) as failure:
        purge_category.apply(args=["stale_accounts"])

    assert str(failure.value) == "stale_accounts: ValueError: duplicate key"
    assert failure.value.__suppress_context__  # the original is not chained into the traceback
    assert failure.value.__cause__ is None


def test_a_task_for_an_unregistered_category_fails(db):
    from retention.tasks import purge_category

    with pytest.raises(services.PurgeFailed, match="not registered"):
        purge_category.apply(args=["no_such_category"])

    assert PurgeRun.objects.get(category="no_such_category").status == PurgeRun.Status.FAILED

"""Purges resume within minutes after any worker death: a killed worker process (the
message is redelivered and takes over at once) and a whole worker killed with its message
unacknowledged in Redis (the sweeper sends a new purge). Abandoned runs show what they did.
"""

import datetime
import json
import os
import signal

import pytest
from django.db.models import Sum
from django.utils.timezone import now
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from portal.identity.models import User
from retention import services
from retention.models import DeletionLogEntry, PurgeRun, RetentionRule
from retention.schedule import SWEEPER, periodic_task_name
from tests.celery_process import celery_worker, kill_whole_worker
from tests.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ACCOUNTS = 300
FAST = {"RETENTION_HEARTBEAT_SECONDS": "0.5", "RETENTION_STALE_RUN_SECONDS": "5"}


@pytest.fixture
def left_accounts(transactional_db) -> list[int]:
    RetentionRule.objects.get_or_create(
        category="stale_accounts",
        counts_from="account_left",
        defaults={"period_amount": 30, "action": "anonymise"},
    )
    gone = now() - datetime.timedelta(days=1)
    users = User.objects.bulk_create(
        User(username=f"left-{index}", is_active=False, deletion_due_at=gone)
        for index in range(ACCOUNTS)
    )
    return [user.pk for user in users]


def anonymised() -> int:
    return User.objects.filter(username__startswith="anonymised-").count()


def only_tasks_on(queue: str, *names: str) -> None:
    """Beat in the test runs only the named rows, every second, on the test's queue."""
    PeriodicTask.objects.exclude(name__in=names).update(enabled=False)
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(name__in=names).update(
        crontab=None, interval=every_second, queue=queue, enabled=True
    )


def send_purge(queue: str):
    from portal.celery import app

    # batches of one: the run is still working when the test kills its worker
    return app.send_task(
        "retention.tasks.purge_category",
        kwargs={"category": "stale_accounts", "batch_size": 1},
        queue=queue,
    )


def assert_each_account_logged_once_and_runs_show_it() -> None:
    assert anonymised() == ACCOUNTS
    logged = DeletionLogEntry.objects.aggregate(total=Sum("count"))["total"]
    assert logged == ACCOUNTS
    for run in PurgeRun.objects.all():
        from_log = DeletionLogEntry.objects.filter(run=run).aggregate(total=Sum("count"))
        assert run.anonymised_count == (from_log["total"] or 0), run.status


@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_purge_is_resumed_by_the_sweeper(tmp_path, left_accounts):
    queue = f"purge-resume-{os.getpid()}"
    log = tmp_path / "worker.log"
    with celery_worker(log, queue, env=FAST) as first:
        send_purge(queue)
        assert wait_until(lambda: DeletionLogEntry.objects.count() >= 5, timeout=60), (
            log.read_text()
        )
        kill_whole_worker(first)
    done_before = anonymised()
    assert 0 < done_before < ACCOUNTS
    lost = PurgeRun.objects.get()
    assert lost.status == PurgeRun.Status.RUNNING  # nobody noticed yet

    # beat runs only the sweeper; the resumed purge goes where the category's nightly row
    # sends it (its queue), which itself stays off
    only_tasks_on(queue, SWEEPER.name)
    PeriodicTask.objects.filter(name=periodic_task_name("stale_accounts")).update(queue=queue)
    beat = ("-B", "--scheduler", "django", "--schedule", str(tmp_path / "beat-schedule"))
    with celery_worker(log, queue, *beat, env=FAST):
        finished = wait_until(
            lambda: PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED).exists(),
            timeout=120,
            interval=0.5,
        )
    assert finished, log.read_text()

    lost.refresh_from_db()
    assert lost.status == PurgeRun.Status.ABANDONED
    assert lost.resumed_at is not None
    assert lost.anonymised_count >= done_before - 1 > 0  # what it really did, not 0
    assert "worker lost" in lost.failure
    assert_each_account_logged_once_and_runs_show_it()


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_process_is_taken_over_by_the_redelivered_message(tmp_path, left_accounts):
    queue = f"purge-takeover-{os.getpid()}"
    log = tmp_path / "worker.log"
    # no beat and no sweeper: the redelivered message alone finishes the work
    with celery_worker(log, queue, pool="prefork", env=FAST):
        result = send_purge(queue)
        assert wait_until(lambda: DeletionLogEntry.objects.count() >= 5, timeout=60), (
            log.read_text()
        )
        child = int(PurgeRun.objects.get().worker.rpartition(":")[2])
        os.kill(child, signal.SIGKILL)
        finished = wait_until(
            lambda: PurgeRun.objects.filter(status=PurgeRun.Status.SUCCEEDED).exists(),
            timeout=120,
            interval=0.5,
        )
        assert finished, log.read_text()
        outcome = result.get(timeout=30)

    assert outcome["status"] == "succeeded"
    first, second = PurgeRun.objects.order_by("started_at", "pk")
    assert first.status == PurgeRun.Status.ABANDONED
    # known dead by its missing process, or (on a loaded machine) by its stopped heartbeat
    assert "worker lost" in first.failure
    assert first.anonymised_count > 0
    assert_each_account_logged_once_and_runs_show_it()


def test_the_sweeper_runs_every_minute(db):
    row = PeriodicTask.objects.get(name=SWEEPER.name)
    assert row.task == "retention.tasks.resume_abandoned_purges"
    assert (row.crontab.minute, row.crontab.hour) == ("*", "*")
    assert json.loads(row.kwargs) == {}


def test_a_resume_is_sent_once_per_abandoned_run(db, settings):
    settings.RETENTION_STALE_RUN_SECONDS = 60
    dead = PurgeRun.objects.create(
        category="stale_accounts",
        started_at=now() - datetime.timedelta(minutes=5),
        heartbeat_at=now() - datetime.timedelta(minutes=5),
    )

    assert services.categories_to_resume() == ["stale_accounts"]
    assert services.categories_to_resume() == []
    dead.refresh_from_db()
    assert dead.status == PurgeRun.Status.ABANDONED and dead.resumed_at is not None


def test_a_live_run_on_another_host_is_left_alone(db):
    PurgeRun.objects.create(category="stale_accounts", worker="elsewhere:1")

    assert services.categories_to_resume() == []
    assert PurgeRun.objects.get().status == PurgeRun.Status.RUNNING

"""Time from a worker's SIGKILL to the purge finishing, against the same purge uninterrupted.

Uses the database of ``DATABASE_URL`` (create and migrate a benchmark database first; its
periodic tasks are switched to this benchmark's queue) and Redis (``REDIS_URL``). ACCOUNTS
accounts past their deletion date are anonymised by the ``stale_accounts`` purge through real
``celery worker`` processes, in batches of BATCH, three times:

1. uninterrupted (the baseline);
2. the worker *process* running the purge is killed (prefork pool, SIGKILL to the child):
   Celery redelivers the message and the new run takes over;
3. the *whole worker* is killed (SIGKILL to its process group) with the message unacknowledged
   in Redis; a new worker with beat starts at once, and the sweeper, on its real schedule
   (every minute), sends the resume.

Prints, for 2 and 3, the time from the SIGKILL to the takeover and to the purge's end, and
the ratio of the whole to the baseline, and checks that every account was logged once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 uv run python benchmarks/purge_resume.py [ACCOUNTS] [BATCH]
"""

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from tests.waiting import wait_until  # noqa: E402

ACCOUNTS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
BATCH = int(sys.argv[2]) if len(sys.argv) > 2 else 20
QUEUE = "benchmark-purge-resume"


@contextlib.contextmanager
def worker(log: Path, *extra: str, pool: str = "solo"):
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "portal", "worker", *extra,
            "--pool", pool, "--concurrency", "1", "--queues", QUEUE, "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", "LOG_LEVEL": "INFO"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        if not wait_until(lambda: " ready." in log.read_text(), timeout=60):
            raise SystemExit(f"worker did not start:\n{log.read_text()}")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Sum
    from django.utils.timezone import now
    from django_celery_beat.models import PeriodicTask

    from portal.celery import app
    from portal.identity.models import User
    from retention.models import DeletionLogEntry, PurgeRun, RetentionRule
    from retention.schedule import SWEEPER, periodic_task_name

    call_command("migrate", verbosity=0)
    RetentionRule.objects.get_or_create(
        category="stale_accounts",
        counts_from="account_left",
        defaults={"period_amount": 0, "action": "anonymise"},
    )
    PeriodicTask.objects.exclude(name=SWEEPER.name).update(enabled=False)
    PeriodicTask.objects.filter(
        name__in=[SWEEPER.name, periodic_task_name("stale_accounts")]
    ).update(queue=QUEUE)
    PeriodicTask.objects.filter(name=SWEEPER.name).update(enabled=True)

    def prepare() -> None:
        PurgeRun.objects.filter(category="stale_accounts").delete()
        DeletionLogEntry.objects.filter(category="stale_accounts").delete()
        User.objects.filter(username__startswith="anonymised-").delete()
        User.objects.filter(username__startswith="bench-left-").delete()
        gone = now() - datetime.timedelta(days=1)
        User.objects.bulk_create(
            User(username=f"bench-left-{i}", is_active=False, deletion_due_at=gone)
            for i in range(ACCOUNTS)
        )

    def send() -> None:
        app.send_task(
            "retention.tasks.purge_category",
            kwargs={"category": "stale_accounts", "batch_size": BATCH},
            queue=QUEUE,
        )

    def finished() -> bool:
        return PurgeRun.objects.filter(category="stale_accounts", status="succeeded").exists()

    def logged() -> int:
        total = DeletionLogEntry.objects.filter(category="stale_accounts").aggregate(t=Sum("count"))
        return total["t"] or 0

    def wait_for_some_progress() -> None:
        wait_until(lambda: logged() >= ACCOUNTS // 5, timeout=300, interval=0.05)

    log = Path(tempfile.mkdtemp()) / "worker.log"
    print(f"{ACCOUNTS} accounts, batches of {BATCH}; worker log {log}")

    prepare()
    with worker(log):
        began = time.perf_counter()
        send()
        wait_until(finished, timeout=600, interval=0.05)
        baseline = time.perf_counter() - began
    print(f"uninterrupted purge: {baseline:.1f} s")

    prepare()
    with worker(log, pool="prefork"):
        began = time.perf_counter()
        send()
        wait_for_some_progress()
        child = int(PurgeRun.objects.get().worker.rpartition(":")[2])
        os.kill(child, signal.SIGKILL)
        killed = time.perf_counter()
        wait_until(lambda: PurgeRun.objects.count() > 1, timeout=600, interval=0.05)
        takeover = time.perf_counter() - killed
        wait_until(finished, timeout=600, interval=0.05)
        done = time.perf_counter()
    print(
        f"worker process killed: taken over {takeover:.1f} s after the SIGKILL, finished "
        f"{done - killed:.1f} s after it; whole purge {done - began:.1f} s "
        f"({(done - began) / baseline:.2f}x uninterrupted); each account logged once: "
        f"{logged() == ACCOUNTS}"
    )

    prepare()
    beat = ("-B", "--scheduler", "django", "--schedule", str(log.parent / "beat-schedule"))
    with worker(log) as first:
        began = time.perf_counter()
        send()
        wait_for_some_progress()
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed = time.perf_counter()
    with worker(log, *beat):
        wait_until(lambda: PurgeRun.objects.count() > 1, timeout=600, interval=0.1)
        takeover = time.perf_counter() - killed
        wait_until(finished, timeout=600, interval=0.05)
        done = time.perf_counter()
    abandoned = PurgeRun.objects.filter(status="abandoned").first()
    print(
        f"whole worker killed (sweeper every minute): resumed {takeover:.1f} s after the "
        f"SIGKILL, finished {done - killed:.1f} s after it; whole purge {done - began:.1f} s "
        f"({(done - began) / baseline:.2f}x uninterrupted); the abandoned run shows "
        f"{abandoned.anonymised_count if abandoned else 0} anonymised; each account logged "
        f"once: {logged() == ACCOUNTS}"
    )
    prepare()
    User.objects.filter(username__startswith="bench-left-").delete()


if __name__ == "__main__":
    main()

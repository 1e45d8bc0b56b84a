"""Benchmark: ``reapply_deletions`` over a journal of N entries against a restored database of
N rows, as a ratio to the nightly purge of the same rows (time and peak memory).

Runs on PostgreSQL in its own database (``portal_bench`` on 127.0.0.1, or ``BENCH_DATABASE_URL``),
never the tests', with a temporary journal folder. A table shaped like chat messages
(``bench_reapply``) is driven through the engine's real code by an unmanaged model and a
category registered here:

1. fill N expired rows; the nightly purge (``purge_category``) deletes them in batches, logs
   them and appends them to the deletion journal;
2. "restore": the same N rows (same ids and creation times) come back, the deletion log loses
   its entries, as after ``pg_restore`` of a dump taken before the purge;
3. ``reapply_deletions`` reads the journal, matches every row and deletes them again.

Each phase runs in its own forked process, so that its peak resident memory is its own.

    uv run python benchmarks/reapply_deletions.py [--rows 1000000] [--batch-size 1000]
"""

import argparse
import datetime
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
JOURNAL = tempfile.mkdtemp(prefix="bench-journal-")
os.environ["RETENTION_JOURNAL_DIR"] = JOURNAL


def ensure_database() -> None:
    name = BENCH_URL.rsplit("/", 1)[1]
    admin_url = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402

from retention import journal, services  # noqa: E402
from retention.models import (  # noqa: E402
    DeletionLogEntry,
    JournalCheckpoint,
    PurgeRun,
    RetentionRule,
)
from retention.registry import RetentionCategory, registry  # noqa: E402


class BenchReapply(models.Model):
    id = models.BigAutoField(primary_key=True)
    meeting_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    body = models.TextField()

    class Meta:
        app_label = "retention"
        db_table = "bench_reapply"
        managed = False

    def __str__(self) -> str:
        return str(self.pk)


class BenchReapplyCategory(RetentionCategory):
    identifier = "bench_reapply"
    description = "benchmark chat-shaped rows"
    model = BenchReapply
    hold_model = "meetings.meeting"
    hold_lookup = "meeting_id"

    def expired(self, rule, now):  # noqa: ANN001, ANN201
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


registry.register(BenchReapplyCategory)
NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)


def fill(rows: int) -> None:
    """``rows`` rows 40 to 100 days old (all expired under a 30-day rule); deterministic, so
    that a second fill is the restore of the first."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_reapply")
        cursor.execute(
            "CREATE TABLE bench_reapply (id bigserial PRIMARY KEY, meeting_id bigint NOT NULL, "
            "created_at timestamptz NOT NULL, body text NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_reapply (id, meeting_id, created_at, body) "
            "SELECT i, i %% 5000, %s - interval '100 days' + (i * interval '60 days') / %s, "
            "'message ' || md5(i::text) FROM generate_series(1, %s) AS i",
            [NOW, rows, rows],
        )
        cursor.execute("CREATE INDEX bench_reapply_created ON bench_reapply (created_at)")
        cursor.execute("VACUUM ANALYZE bench_reapply")


def _phase(name: str, batch_size: int, results: "multiprocessing.Queue") -> None:
    connection.close()  # a forked child opens its own connection
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if name == "purge":
        done = services.purge_category(
            identifier="bench_reapply", at=NOW, batch_size=batch_size
        ).done
    else:
        reports = services.reapply_deletions(
            identifiers=["bench_reapply"], at=NOW, batch_size=batch_size
        )
        done = sum(r.done for r in reports)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put(
        {
            "done": done,
            "seconds": seconds,
            "peak_mib": peak / 1024,
            "growth_mib": (peak - before) / 1024,
        }
    )


def run_phase(name: str, batch_size: int) -> dict:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connection.close()
    process = context.Process(target=_phase, args=(name, batch_size, results))
    process.start()
    result = results.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{name} failed")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=services.DEFAULT_BATCH_SIZE)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    RetentionRule.objects.update_or_create(
        category="bench_reapply", counts_from="created", defaults={"period_amount": 30}
    )
    DeletionLogEntry.objects.filter(category="bench_reapply").delete()
    PurgeRun.objects.filter(category="bench_reapply").delete()
    JournalCheckpoint.objects.filter(category="bench_reapply").delete()  # a new journal folder

    print(f"filling {args.rows:,} expired rows ...", flush=True)
    started = time.perf_counter()
    fill(args.rows)
    print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)

    print("nightly purge (delete, log, journal) ...", flush=True)
    purge = run_phase("purge", args.batch_size)
    assert purge["done"] == args.rows, purge
    size = sum(path.stat().st_size for path in journal.files())
    print(f"  journal: {size / 2**20:.1f} MiB in {JOURNAL}", flush=True)

    print("restore: the same rows back, the deletion log without them ...", flush=True)
    fill(args.rows)
    DeletionLogEntry.objects.filter(category="bench_reapply").delete()
    PurgeRun.objects.filter(category="bench_reapply").delete()

    print("reapply_deletions ...", flush=True)
    reapply = run_phase("reapply", args.batch_size)
    assert reapply["done"] == args.rows, reapply
    assert not BenchReapply.objects.exists()

    print()
    print(f"rows: {args.rows:,}, batch size {args.batch_size:,}")
    print(f"{'':24}{'time':>10}{'peak RSS':>12}{'RSS growth':>12}")
    for label, result in (("nightly purge", purge), ("reapply_deletions", reapply)):
        print(
            f"{label:24}{result['seconds']:>9.1f}s{result['peak_mib']:>10.0f}MiB"
            f"{result['growth_mib']:>10.0f}MiB"
        )
    print(
        f"ratio reapply / purge: time {reapply['seconds'] / purge['seconds']:.2f}, "
        f"peak RSS {reapply['peak_mib'] / purge['peak_mib']:.2f}"
    )


if __name__ == "__main__":
    main()

"""Benchmark: the retention engine purging 500,000 expired of 1,000,000 chat messages.

Runs on PostgreSQL in its own database (``portal_bench`` on 127.0.0.1, or ``BENCH_DATABASE_URL``),
never the tests'. The meetings app's chat model is not on this branch, so the benchmark creates
a table of the same shape (``bench_chat``) and drives the engine's real purge (rules, locks,
batches, deletion log) over it through an unmanaged model and a category registered here.

For each batch size (``--batch-sizes``): the engine's wall time, plain batched SQL of the same
size (the floor: select the next ids, ``DELETE … = ANY``, autocommit, no locks or log) and
their ratio, and the longest time a concurrent chat insert waited; then the largest size whose
inserts waited at most ``--max-wait-ms`` (``RETENTION_PURGE_BATCH_SIZE`` is chosen so),
one plain ``DELETE`` of all the rows, and the plans of the batch queries.

Each size runs ``--repeat`` times (engine and plain alternating; medians reported). The insert
probe is a process of its own, as a web server's insert would be. ``--profile`` prints where
each engine purge spent its time (pyinstrument).

    uv run python benchmarks/purge_chat.py [--rows 1000000] [--batch-sizes 1000,5000,20000]
        [--repeat 3] [--profile]
"""

import argparse
import datetime
import multiprocessing
import multiprocessing.synchronize
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# production settings: without DEBUG's cursor wrapper, which keeps every statement's text (a
# batch's log entry as a literal of 64 hex digits per item)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("RETENTION_REFERENCE_SECRET", "benchmark-only-reference-secret-0123456789")
os.environ["RETENTION_JOURNAL_DIR"] = tempfile.mkdtemp(prefix="bench-journal-")


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
from django.db import connection, models, transaction  # noqa: E402

from retention import services  # noqa: E402
from retention.models import (  # noqa: E402
    DeletionLogEntry,
    JournalCheckpoint,
    PurgeRun,
    RetentionRule,
)
from retention.registry import RetentionCategory, registry  # noqa: E402


class BenchChat(models.Model):
    id = models.BigAutoField(primary_key=True)
    meeting_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    body = models.TextField()

    class Meta:
        app_label = "retention"
        db_table = "bench_chat"
        managed = False

    def __str__(self) -> str:
        return str(self.pk)


class BenchChatCategory(RetentionCategory):
    """Shaped like the meetings app's future chat category: 30 days after creation."""

    identifier = "bench_chat"
    description = "benchmark chat messages"
    model = BenchChat
    hold_model = "meetings.meeting"
    hold_lookup = "meeting_id"

    def expired(self, rule, now):  # noqa: ANN001, ANN201
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


registry.register(BenchChatCategory)
NOW = datetime.datetime.now(datetime.UTC)


FILLS = [0]


def fill(rows: int) -> None:
    """``rows`` messages over 60 days, in creation order: the older half is expired. Each fill
    takes new ids: the engine replays its deletion journal first, and rows under ids it has
    journaled as deleted would count as restored from a backup (and go before the purge)."""
    FILLS[0] += 1
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_chat")
        cursor.execute(
            "CREATE TABLE bench_chat (id bigserial PRIMARY KEY, meeting_id bigint NOT NULL, "
            "created_at timestamptz NOT NULL, body text NOT NULL)"
        )
        cursor.execute(f"ALTER SEQUENCE bench_chat_id_seq RESTART WITH {FILLS[0] * 10**9}")
        cursor.execute(
            "INSERT INTO bench_chat (meeting_id, created_at, body) "
            "SELECT i %% 5000, %s - interval '60 days' + (i * interval '60 days') / %s, "
            "'message ' || md5(i::text) FROM generate_series(1, %s) AS i",
            [NOW, rows, rows],
        )
        cursor.execute("CREATE INDEX bench_chat_created ON bench_chat (created_at)")
        cursor.execute("CREATE INDEX bench_chat_meeting ON bench_chat (meeting_id)")
        cursor.execute("VACUUM ANALYZE bench_chat")


def _probe(stop: "multiprocessing.synchronize.Event", results: "multiprocessing.Queue") -> None:
    waits = []
    with psycopg.connect(
        BENCH_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        while not stop.is_set():
            started = time.perf_counter()
            conn.execute(
                "INSERT INTO bench_chat (meeting_id, created_at, body) VALUES (1, now(), 'hi')"
            )
            waits.append(time.perf_counter() - started)
            stop.wait(0.02)
    results.put(waits)


class InsertProbe:
    """Inserts a chat message every 20 ms on its own connection, from a process of its own (as
    a web server would: a thread here would also wait for this process's GIL, not only for
    the database); records each insert's time."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._results = context.Queue()
        self._process = context.Process(target=_probe, args=(self._stop, self._results))

    def __enter__(self) -> "InsertProbe":
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.waits = self._results.get()
        self._process.join()


def explain(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        lines = [re.sub(r"'\{[0-9,]+\}'", "'{…ids…}'", row[0]) for row in cursor.fetchall()]
        return "\n".join("    " + line for line in lines)


def plain_batched(cutoff: datetime.datetime, batch_size: int) -> int:
    """The floor: plain SQL batches on one autocommit connection, the engine's selection
    (``ORDER BY id LIMIT n`` after the last id, ``DELETE … = ANY``), no locks, no log."""
    deleted, last = 0, 0
    with psycopg.connect(
        BENCH_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        while True:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM bench_chat WHERE created_at <= %s AND id > %s "
                    "ORDER BY id LIMIT %s",
                    [cutoff, last, batch_size],
                )
            ]
            if not ids:
                return deleted
            conn.execute("DELETE FROM bench_chat WHERE id = ANY(%s)", [ids])
            deleted, last = deleted + len(ids), ids[-1]


@dataclass
class Measurement:
    engine_seconds: float
    engine_cpu: float
    engine_waits: list[float]
    plain_seconds: float
    plain_waits: list[float]

    @property
    def ratio(self) -> float:
        return self.engine_seconds / self.plain_seconds


def waits(probe: InsertProbe) -> str:
    ms = sorted(w * 1000 for w in probe.waits)
    p99 = ms[int(len(ms) * 0.99) - 1] if len(ms) >= 100 else ms[-1]
    return (
        f"{len(ms)} inserts, median {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, "
        f"longest {ms[-1]:.1f} ms"
    )


def Profiler(**kwargs: object):  # noqa: ANN201, N802
    """pyinstrument's profiler (a development dependency), imported only for ``--profile``."""
    from pyinstrument import Profiler as PyinstrumentProfiler

    return PyinstrumentProfiler(**kwargs)


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--batch-sizes",
        default=f"1000,{services.purge_batch_size()},20000",
        help="comma-separated batch sizes to compare (engine and plain batched SQL each)",
    )
    parser.add_argument("--max-wait-ms", type=float, default=50.0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per batch size (the median is reported)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each engine purge with pyinstrument and print where its time went",
    )
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.batch_sizes.split(",")})

    call_command("migrate", verbosity=0)
    RetentionRule.objects.update_or_create(
        category="bench_chat", counts_from="created", defaults={"period_amount": 30}
    )
    DeletionLogEntry.objects.filter(category="bench_chat").delete()
    PurgeRun.objects.filter(category="bench_chat").delete()
    JournalCheckpoint.objects.filter(category="bench_chat").delete()  # a new journal folder
    rule = RetentionRule.objects.get(category="bench_chat")
    category = registry.get("bench_chat")
    cutoff = rule.cutoff(NOW)

    print(f"filling {args.rows:,} chat messages (half expired) ...", flush=True)
    started = time.perf_counter()
    fill(args.rows)
    expired = BenchChat.objects.filter(created_at__lte=cutoff).count()
    print(f"  filled in {time.perf_counter() - started:.1f} s; expired: {expired:,}")

    # the plans of the batch queries at the largest size
    free = category.expired(rule, NOW).order_by("pk")
    ids = list(free.values_list("pk", flat=True)[: sizes[-1]])
    with transaction.atomic():  # the engine's own statement, as a batch runs it
        assert services.deletes_in_one_statement(category, rule)
        batch_sql, batch_params = services.delete_next_rows_sql(
            free.filter(pk__gt=ids[0]), sizes[-1], category.fingerprint_field()
        )
        print("\nplan: lock, delete and read back the next batch in one statement")
        print("    " + batch_sql % tuple(f"'{p}'" for p in batch_params))
        print(explain(batch_sql, list(batch_params)))
        transaction.set_rollback(True)
    print("plan: plain batched SQL's delete")
    print(explain("DELETE FROM bench_chat WHERE id = ANY(%s)", [ids]))

    results: dict[int, list[Measurement]] = {}
    for size in sizes:
        for repeat in range(args.repeat):
            if BenchChat.objects.filter(created_at__lte=cutoff).count() != expired:
                fill(args.rows)
            print(f"\nengine purge, batches of {size:,} ({repeat + 1}) ...", flush=True)
            profiler = Profiler(interval=0.001) if args.profile else None
            with InsertProbe() as engine_probe:
                if profiler is not None:
                    profiler.start()
                started, cpu = time.perf_counter(), time.process_time()
                report = services.purge_category(identifier="bench_chat", at=NOW, batch_size=size)
                engine_seconds = time.perf_counter() - started
                engine_cpu = time.process_time() - cpu
                if profiler is not None:
                    profiler.stop()
            if profiler is not None:
                print(profiler.output_text(unicode=False, color=False, show_all=False))
            assert report.done == expired, (report.done, expired)
            # the log entries stay: the next purge's replay finds their batches done by them
            logged = DeletionLogEntry.objects.filter(run_id=report.run_id)
            assert sum(logged.values_list("count", flat=True)) == expired
            assert logged.count() == -(-expired // size)  # one log entry per batch
            fill(args.rows)
            with InsertProbe() as plain_probe:
                started = time.perf_counter()
                assert plain_batched(cutoff, size) == expired
                plain_seconds = time.perf_counter() - started
            fill(args.rows)
            measured = Measurement(
                engine_seconds, engine_cpu, engine_probe.waits, plain_seconds, plain_probe.waits
            )
            results.setdefault(size, []).append(measured)
            print(
                f"  engine {engine_seconds:.2f} s ({engine_cpu:.2f} s CPU in this process), "
                f"plain batched SQL {plain_seconds:.2f} s ({measured.ratio:.2f}x); "
                f"engine inserts: {waits(engine_probe)}; plain: {waits(plain_probe)}"
            )

    with InsertProbe() as delete_probe:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_chat WHERE created_at <= %s", [cutoff])
            assert cursor.rowcount == expired
        delete_seconds = time.perf_counter() - started

    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nrows: {args.rows:,}, expired and purged: {expired:,}; load average {load}")
    print(f"one plain SQL DELETE of all of them: {delete_seconds:.2f} s ({waits(delete_probe)})")
    print(
        f"median of {args.repeat} run(s) each; longest insert wait over all of them\n"
        "batch size  engine s  engine CPU s  plain batched s  ratio  "
        "longest insert wait: engine / plain"
    )
    summary = {}
    for size, runs in results.items():
        engine_seconds = statistics.median(r.engine_seconds for r in runs)
        summary[size] = (
            engine_seconds,
            statistics.median(r.plain_seconds for r in runs),
            statistics.median(r.ratio for r in runs),
            max(max(r.engine_waits) for r in runs) * 1000,
        )
        print(
            f"{size:>10,}  {engine_seconds:8.2f}  "
            f"{statistics.median(r.engine_cpu for r in runs):12.2f}  "
            f"{summary[size][1]:15.2f}  {summary[size][2]:5.2f}  "
            f"{summary[size][3]:8.1f} / {max(max(r.plain_waits) for r in runs) * 1000:.1f} ms"
        )
    fitting = [size for size, row in summary.items() if row[3] <= args.max_wait_ms]
    chosen = max(fitting) if fitting else min(summary)
    engine_seconds, plain_seconds, ratio, longest = summary[chosen]
    print(
        f"largest batch with inserts waiting <= {args.max_wait_ms:.0f} ms: {chosen:,} "
        f"(RETENTION_PURGE_BATCH_SIZE {services.purge_batch_size():,}): "
        f"{ratio:.2f}x plain batched SQL"
    )

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_chat")
    DeletionLogEntry.objects.filter(category="bench_chat").delete()
    PurgeRun.objects.filter(category="bench_chat").delete()
    JournalCheckpoint.objects.filter(category="bench_chat").delete()
    return {
        "purge batch": chosen,
        "purge engine s": engine_seconds,
        "purge plain batched s": plain_seconds,
        "purge ratio": ratio,
        "purge longest insert wait ms": longest,
    }


if __name__ == "__main__":
    main()

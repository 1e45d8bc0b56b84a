"""The purge: find what each rule says is expired, skip what a legal hold keeps, delete the
rest in short batches and log every batch without personal data.

Crash safety (docs/POLICY.md; after Zulip's retention and Sentry's scheduled deletions):

- every batch is one transaction: its rows go and its log entry is written together, or
  neither happens; the next batch starts from the last primary key seen (``LIMIT`` without
  ``OFFSET``), so finished rows never slow the next query;
- a batch locks its rows with ``SELECT … FOR UPDATE SKIP LOCKED``: two workers never delete or
  log the same item twice;
- a category with files marks the batch, deletes the files outside any transaction, then
  deletes the rows: a crash at any point leaves rows that are still expired, and the next run
  deletes their (possibly already missing) files and the rows;
- a run is claimed (one running run per category) and keeps a heartbeat from a thread of its
  own (so a slow batch never looks dead); a run whose worker died is marked abandoned, with
  what its batches really deleted, as soon as it is known dead: its process is gone (same
  host) or its heartbeat stopped (``RETENTION_STALE_RUN_SECONDS``). The redelivered message
  of a killed worker process then takes over at once, and the sweeper
  (``resume_abandoned_purges``, every minute from beat) sends a new purge for every abandoned
  run, so that a whole worker killed with its messages still unacknowledged in Redis (which
  redelivers only after the visibility timeout) is resumed within minutes, not next night.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, models, router, transaction
from django.db.models import F, Func, Sum, TextField
from django.db.models.deletion import Collector
from django.utils.timezone import now as current_time

from retention import journal
from retention.keyring import Keyring, RotationReport, rotate_field
from retention.models import (
    DeletionLogEntry,
    JournalCheckpoint,
    LegalHold,
    PurgeRun,
    RetentionRule,
)
from retention.registry import EqualsAny, RetentionCategory, registry

logger = logging.getLogger(__name__)

#: Items per batch of deletions asked for now and of reapplying the journal; the nightly purge
#: takes ``RETENTION_PURGE_BATCH_SIZE`` (``purge_batch_size``).
DEFAULT_BATCH_SIZE = 1000


def purge_batch_size() -> int:
    """Items per batch of the nightly purge: ``RETENTION_PURGE_BATCH_SIZE``, chosen by
    measurement (benchmarks/purge_chat.py: concurrent inserts waited at most 50 ms, larger
    batches were no faster). A category's ``max_batch_size`` bounds it further."""
    return max(1, int(settings.RETENTION_PURGE_BATCH_SIZE))


def stale_run_after() -> datetime.timedelta:
    """A running run whose heartbeat is older than this is taken to be dead (worker killed)."""
    return datetime.timedelta(seconds=settings.RETENTION_STALE_RUN_SECONDS)


def heartbeat_every() -> datetime.timedelta:
    """How often a live run renews its heartbeat (a thread beside the purge)."""
    return datetime.timedelta(seconds=settings.RETENTION_HEARTBEAT_SECONDS)


class PurgeFailed(Exception):
    """A purge failed; the message is ``describe_failure``'s: no personal data."""


@dataclass
class RuleReport:
    """What one rule found and did in one run (or would do, in a dry run)."""

    rule: RetentionRule
    expired: int = 0
    held: int = 0
    done: int = 0
    sample: list[str] = field(default_factory=list)


@dataclass
class PurgeReport:
    category: str
    status: str
    dry_run: bool = False
    run_id: int | None = None
    rules: list[RuleReport] = field(default_factory=list)
    failure: str = ""

    @property
    def expired(self) -> int:
        return sum(r.expired for r in self.rules)

    @property
    def held(self) -> int:
        return sum(r.held for r in self.rules)

    @property
    def done(self) -> int:
        return sum(r.done for r in self.rules)

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "status": self.status,
            "dry_run": self.dry_run,
            "run": self.run_id,
            "expired": self.expired,
            "held": self.held,
            "done": self.done,
        }


def reference_keyring() -> Keyring:
    """``RETENTION_REFERENCE_SECRET`` with its old versions; rotation wraps the stored digests
    (retention/keyring.py), so that deletion proofs survive a key change."""
    return Keyring.from_settings(
        "RETENTION_REFERENCE_SECRET",
        "RETENTION_REFERENCE_OLD_SECRETS",
        lambda secret: hashlib.sha256(b"retention-deletion-log:" + secret.encode()).digest(),
    )


def item_reference(key: str, chain: str | None = None) -> str:
    """The non-reversible reference of an item key ("portal.user:42") for the deletion log:
    HMAC-SHA256 with a server secret, so that the small space of primary keys cannot be
    searched without the secret. Along ``chain`` (default: the current key)."""
    return reference_keyring().digest(key.encode(), chain).hex()


def item_digests(keys: list[str]) -> bytes:
    """The references of ``keys`` under the current key as raw HMAC-SHA256 digests,
    concatenated (32 bytes each)."""
    return reference_keyring().digests(key.encode() for key in keys)


def item_references(keys: list[str]) -> list[str]:
    raw = item_digests(keys)
    return [raw[i : i + 32].hex() for i in range(0, len(raw), 32)]


def find_deletions(key: str) -> list[DeletionLogEntry]:
    """The log entries that record the deletion of the item ``key`` ("portal.user:42").

    The proof an institution gives when asked whether an item was deleted: it needs the key
    and the server secret; the log alone names nothing. Entries made or wrapped under other
    key versions are searched with the reference along their own chain."""
    keyring = reference_keyring()
    references: dict[str, str | None] = {}
    found = []
    for entry in DeletionLogEntry.objects.iterator():
        if entry.key_chain not in references:
            references[entry.key_chain] = (
                keyring.digest(key.encode(), entry.key_chain).hex()
                if keyring.knows(entry.key_chain)
                else None
            )
        reference = references[entry.key_chain]
        if reference is not None and entry.includes(reference):
            found.append(entry)
    return found


def describe_failure(exc: BaseException) -> str:
    """Exception type and first line only: database errors carry row values (personal data)
    in their DETAIL lines."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:500]


# -- claiming runs -------------------------------------------------------------------------
def this_worker() -> str:
    """Host and process id of this process, stored on the runs it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_is_gone(worker: str) -> bool:
    """True when ``worker`` names a process of this host that no longer exists.

    Only a process of this host can be checked; another host's runs are judged by their
    heartbeat alone. A pid reused by another process looks alive: the heartbeat then decides.
    """
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _counts_of(run_id: int) -> dict[str, int]:
    totals = dict(
        DeletionLogEntry.objects.filter(run_id=run_id)
        .order_by()
        .values_list("action")
        .annotate(total=Sum("count"))
    )
    return {
        "deleted_count": totals.get(RetentionRule.Action.DELETE, 0),
        "anonymised_count": totals.get(RetentionRule.Action.ANONYMISE, 0),
    }


def abandon_dead_runs(*, category: str | None = None) -> list[int]:
    """Mark running runs whose worker is dead as abandoned; return their ids.

    Dead: the heartbeat is older than ``RETENTION_STALE_RUN_SECONDS``, or the run's process
    (on this host) no longer exists. An abandoned run shows what its batches really deleted
    and anonymised (from its deletion-log entries), not zero.
    """
    at = current_time()
    running = PurgeRun.objects.filter(status=PurgeRun.Status.RUNNING)
    if category is not None:
        running = running.filter(category=category)
    abandoned = []
    for run in running.only("pk", "heartbeat_at", "worker"):
        stale = run.heartbeat_at < at - stale_run_after()
        if not stale and not (run.worker and _process_is_gone(run.worker)):
            continue
        reason = "heartbeat stopped" if stale else "its worker process is gone"
        updated = PurgeRun.objects.filter(pk=run.pk, status=PurgeRun.Status.RUNNING).update(
            status=PurgeRun.Status.ABANDONED,
            finished_at=at,
            failure=f"{reason}: worker lost; a later run finishes the work",
            **_counts_of(run.pk),
        )
        if updated:
            logger.warning("purge run %s abandoned: %s", run.pk, reason)
            abandoned.append(run.pk)
    return abandoned


def claim_run(*, category: str) -> PurgeRun | None:
    """Start a run of ``category`` unless one is alive; take over one whose worker died.

    Sentry's scheduled deletions: the claim is a row that only one process can create
    (partial unique constraint on running runs).
    """
    abandon_dead_runs(category=category)
    at = current_time()  # wall-clock time, whatever moment the rules are applied "as of"
    try:
        with transaction.atomic():
            return PurgeRun.objects.create(
                category=category, started_at=at, heartbeat_at=at, worker=this_worker()
            )
    except IntegrityError:
        return None


def categories_to_resume() -> list[str]:
    """The categories whose latest run was abandoned and not yet resumed (the sweeper's work).

    Dead runs are marked abandoned first. A resume that was sent but never started (its
    message lost too) is sent again once the stale period has passed.
    """
    abandon_dead_runs()
    at = current_time()
    result = []
    for category in PurgeRun.objects.order_by().values_list("category", flat=True).distinct():
        latest = PurgeRun.objects.filter(category=category).order_by("-started_at", "-pk").first()
        if latest is None or latest.status != PurgeRun.Status.ABANDONED:
            continue
        if latest.resumed_at is not None and latest.resumed_at > at - stale_run_after():
            continue
        if PurgeRun.objects.filter(pk=latest.pk, resumed_at=latest.resumed_at).update(
            resumed_at=at
        ):
            result.append(category)
    return result


class RunHeartbeat:
    """Renew a run's heartbeat from a thread while the purge works (also in a slow batch)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"purge-heartbeat-{run_id}")
        self._thread.daemon = True

    def _beat(self) -> None:
        from django.db import connection as thread_connection

        try:
            while not self._stop.wait(max(heartbeat_every().total_seconds(), 0.2)):
                PurgeRun.objects.filter(pk=self.run_id, status=PurgeRun.Status.RUNNING).update(
                    heartbeat_at=current_time()
                )
        except Exception as exc:  # the purge goes on; a stale heartbeat only means a takeover
            logger.warning("purge heartbeat of run %s stopped: %s", self.run_id, type(exc).__name__)
        finally:
            thread_connection.close()

    def __enter__(self) -> RunHeartbeat:
        # SQLite (the embedded default, one process) has no second worker to take over, and a
        # second writer would only wait for the purge's own transactions
        if connection.vendor != "sqlite":
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# -- default rules -------------------------------------------------------------------------
def install_default_rules(using: str = "default", **_kwargs: object) -> list[RetentionRule]:
    """Create each registered category's default rules whose (category, event) has no rule.

    Connected to ``post_migrate`` (retention's ``AppConfig.ready``), so it runs after every
    ``migrate`` and ``flush``: a new database, a flushed test database and a category added
    later all get their defaults, asked from the registry (the engine names no category).

    An existing rule is never touched, whatever an administrator changed (period, action,
    maximum) or whether they disabled it: disabling is how a purge is switched off. A
    *deleted* default rule, in contrast, comes back with its default at the next ``migrate``
    (a deployment): the admin therefore offers no deletion of a rule a registered category
    declares as default (``RetentionRuleAdmin.has_delete_permission``), only disabling.
    Returns the rules created.
    """
    if not router.allow_migrate_model(using, RetentionRule):
        return []
    rules = RetentionRule.objects.using(using)
    existing = set(rules.values_list("category", "counts_from"))
    missing = [
        RetentionRule(
            category=category.identifier,
            counts_from=default.counts_from,
            period_amount=default.amount,
            period_unit=default.unit,
            maximum_days=default.maximum_days,
            action=default.action,
        )
        for category in registry
        for default in category.default_rules
        if (category.identifier, default.counts_from) not in existing
    ]
    # ignore_conflicts: two processes migrating at once must not fail on the unique constraint
    rules.bulk_create(missing, ignore_conflicts=True)
    return missing


def is_default_rule(rule: RetentionRule) -> bool:
    """Whether ``rule``'s (category, event) is one its registered category installs by default
    (and would install again after a deletion)."""
    if rule.category not in registry:
        return False
    return any(
        default.counts_from == rule.counts_from
        for default in registry.get(rule.category).default_rules
    )


# -- the purge -----------------------------------------------------------------------------
def purge_category(
    *,
    identifier: str,
    at: datetime.datetime | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Apply every enabled rule of the category ``identifier``.

    A dry run changes nothing, not even the run table. A failed run is recorded as failed with
    its exception and re-raised, so that Celery shows it too; the next run retries. Batches of
    ``batch_size`` items (default ``purge_batch_size()``).
    """
    at = at or current_time()
    batch_size = batch_size or purge_batch_size()
    if identifier not in registry:
        failure = "category is not registered by any installed app"
        if not dry_run:
            PurgeRun.objects.create(
                category=identifier,
                status=PurgeRun.Status.FAILED,
                finished_at=at,
                failure=failure,
            )
        return PurgeReport(category=identifier, status="failed", dry_run=dry_run, failure=failure)

    category = registry.get(identifier)
    rules = list(RetentionRule.objects.filter(category=identifier, enabled=True))
    if dry_run:
        report = PurgeReport(category=identifier, status="dry-run", dry_run=True)
        for rule in rules:
            report.rules.append(preview_rule(category=category, rule=rule, at=at))
        return report

    run = claim_run(category=identifier)
    if run is None:
        logger.info("purge of %s skipped: another run is in progress", identifier)
        return PurgeReport(category=identifier, status="busy")
    report = PurgeReport(category=identifier, status="running", run_id=run.pk)
    try:
        with RunHeartbeat(run.pk):
            # A restored backup may have brought back what was deleted: the journal says what
            # must stay deleted (docs/BACKUP.md), whether or not anybody ran reapply_deletions.
            # Only the lines after this database's checkpoint can name rows it still holds.
            reapply_since_checkpoint(identifier=identifier, batch_size=batch_size)
            for rule in rules:
                report.rules.append(
                    purge_rule(category=category, rule=rule, at=at, run=run, batch_size=batch_size)
                )
    except Exception as exc:
        report.status = PurgeRun.Status.FAILED
        report.failure = describe_failure(exc)
        _finish_run(
            run, status=PurgeRun.Status.FAILED, failure=report.failure, held_count=report.held
        )
        # the first line only: tracebacks and database DETAIL lines may carry row values
        logger.error("purge of %s failed (run %s): %s", identifier, run.pk, report.failure)
        raise
    report.status = PurgeRun.Status.SUCCEEDED
    _finish_run(
        run,
        status=PurgeRun.Status.SUCCEEDED,
        expired_count=report.expired,
        held_count=report.held,
    )
    logger.info(
        "purge of %s: %s done, %s held (run %s)", identifier, report.done, report.held, run.pk
    )
    return report


def _finish_run(run: PurgeRun, **fields: Any) -> None:
    """Close the run; its counts come from its log entries, the record of what really went."""
    PurgeRun.objects.filter(pk=run.pk).update(
        finished_at=current_time(), **_counts_of(run.pk), **fields
    )


def _expired_and_free(
    category: RetentionCategory, rule: RetentionRule, at: datetime.datetime
) -> tuple[models.QuerySet, models.QuerySet | None]:
    expired = category.expired(rule, at)
    held_condition = category.held_filter(LegalHold.active_references())
    if held_condition is None:
        return expired, None
    return expired.exclude(held_condition), expired.filter(held_condition)


def preview_rule(
    *, category: RetentionCategory, rule: RetentionRule, at: datetime.datetime, sample: int = 20
) -> RuleReport:
    """What ``rule`` would delete now: counts and the first item keys (no personal data)."""
    free, held = _expired_and_free(category, rule, at)
    label = free.model._meta.label_lower
    report = RuleReport(rule=rule, held=held.count() if held is not None else 0)
    report.expired = free.count() + report.held
    report.sample = [
        f"{label}:{pk}" for pk in free.order_by("pk").values_list("pk", flat=True)[:sample]
    ]
    return report


def _for_update(queryset: models.QuerySet) -> models.QuerySet:
    """Lock the selected rows of the category's own table, skipping rows another worker holds
    (a no-op on SQLite, which has no row locks)."""
    if not connection.features.has_select_for_update_skip_locked:
        return queryset
    kwargs: dict[str, Any] = {"skip_locked": True}
    if connection.features.has_select_for_update_of:
        kwargs["of"] = ("self",)
    return queryset.select_for_update(**kwargs)


def _lock_next(candidates: models.QuerySet, batch_size: int) -> list[Any]:
    """Lock and return the next ``batch_size`` ids of ``candidates`` (ordered by pk)."""
    return list(_for_update(candidates).values_list("pk", flat=True)[:batch_size])


class FingerprintText(Func):
    """``journal.fingerprint`` of a timestamp, made by PostgreSQL: the same text as Python's
    ``isoformat`` in UTC ("2026-03-01T10:00:00+00:00", with ".ffffff" when there are
    microseconds; "" for NULL). Reading the text costs a tenth of reading the timestamp and
    formatting it in Python, per row of a purge (benchmarks/purge_chat.py);
    ``tests/retention/test_purge_service.py`` holds the two to the same text."""

    template = (
        "COALESCE(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN date_trunc('second', %(expressions)s AT TIME ZONE 'UTC') = "
        "%(expressions)s AT TIME ZONE 'UTC' THEN '' "
        "ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || '+00:00', '')"
    )
    output_field = TextField()


def with_fingerprints(
    queryset: models.QuerySet, field: str | None
) -> tuple[models.QuerySet, tuple[str, ...]]:
    """``queryset`` and the ``values_list`` columns that give each row's primary key and its
    journal fingerprint: as text made by the database where it can (``FingerprintText``),
    else the field's value (``journal.fingerprint`` makes the same text of either)."""
    if field is None:
        return queryset, ("pk",)
    model_field = queryset.model._meta.get_field(field)
    if connection.vendor == "postgresql" and isinstance(model_field, models.DateTimeField):
        return (
            queryset.annotate(retention_fingerprint=FingerprintText(field)),
            ("pk", "retention_fingerprint"),
        )
    return queryset, ("pk", field)


def _lock_next_rows(
    candidates: models.QuerySet, batch_size: int, field: str | None
) -> list[tuple[Any, Any]]:
    """Like ``_lock_next``, with each row's journal fingerprint: (pk, fingerprint) pairs."""
    if field is None:
        return [(pk, None) for pk in _lock_next(candidates, batch_size)]
    queryset, columns = with_fingerprints(_for_update(candidates), field)
    return list(queryset.values_list(*columns)[:batch_size])


def deletes_in_one_statement(category: RetentionCategory, rule: RetentionRule) -> bool:
    """Whether ``rule``'s batches can be locked, deleted and read back (primary keys and journal
    fingerprints) in one ``DELETE … RETURNING``: on PostgreSQL, for a rule that deletes, in a
    category without files that deletes with the engine's own ``delete_batch``, whose rows
    Django would delete with one query anyway (nothing cascades, no delete signals) and whose
    fingerprint is a timestamp (made as text by ``FingerprintText``) or none."""
    if rule.action != RetentionRule.Action.DELETE or category.has_files:
        return False
    if connection.vendor != "postgresql":
        return False
    if type(category).delete_batch is not RetentionCategory.delete_batch:
        return False
    queryset = category.queryset()
    field = category.fingerprint_field()
    if field is not None and not isinstance(
        queryset.model._meta.get_field(field), models.DateTimeField
    ):
        return False
    return Collector(using=queryset.db, origin=None).can_fast_delete(queryset)


def _delete_next_rows(
    candidates: models.QuerySet, batch_size: int, field: str | None
) -> list[tuple[Any, Any]]:
    """Lock, delete and return the next ``batch_size`` rows of ``candidates`` in one statement
    (``deletes_in_one_statement``): (pk, fingerprint) pairs in primary-key order.

    ``DELETE … WHERE pk = ANY(ARRAY(SELECT … LIMIT n FOR UPDATE SKIP LOCKED))``: the array
    is computed once, so the delete keeps the index plan that ``IN (SELECT … LIMIT n)`` loses
    (``EqualsAny``); one round trip where a lock, a delete and a read took three."""
    try:
        sql, params = delete_next_rows_sql(candidates, batch_size, field)
    except EmptyResultSet:  # a filter that matches nothing (e.g. ``pk__in=[]``) has no SQL
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    rows.sort(key=lambda row: row[0])  # RETURNING follows no order
    if field is None:
        return [(row[0], None) for row in rows]
    return [(row[0], row[1]) for row in rows]


def delete_next_rows_sql(
    candidates: models.QuerySet, batch_size: int, field: str | None
) -> tuple[str, tuple[Any, ...]]:
    """The statement ``_delete_next_rows`` runs, with its parameters (inside a transaction)."""
    model = candidates.model
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    select = _for_update(candidates).values_list("pk")[:batch_size]
    select_sql, params = select.query.sql_with_params()
    returning = f"{table}.{pk}"
    if field is not None:
        column = f"{table}.{quote(model._meta.get_field(field).column)}"
        returning += ", " + FingerprintText.template % {"expressions": column}
    # identifiers quoted by the backend, values as parameters
    sql = f"DELETE FROM {table} WHERE {pk} = ANY(ARRAY({select_sql})) RETURNING {returning}"  # noqa: S608
    return sql, tuple(params)


def _lock(queryset: models.QuerySet, ids: list[Any]) -> list[Any]:
    """Lock the rows of ``ids`` that still match ``queryset``; skip rows another worker holds."""
    locked = _for_update(queryset.filter(EqualsAny(F("pk"), ids)).order_by("pk"))
    return list(locked.values_list("pk", flat=True))


def _journal_rows(category: RetentionCategory, ids: list[Any]) -> list[tuple[Any, Any]]:
    """(primary key, fingerprint) of the rows about to go, read before they go."""
    field = category.fingerprint_field()
    if field is None:
        return [(pk, None) for pk in ids]
    queryset, columns = with_fingerprints(category.queryset(), field)
    rows = queryset.filter(EqualsAny(F("pk"), ids)).values_list(*columns)
    return list(rows.order_by())


def _log_batch(
    *,
    category: RetentionCategory,
    rule: RetentionRule | None,
    run: PurgeRun | None,
    label: str,
    ids: list[Any],
    journal_rows: list[tuple[Any, Any]] | None = None,
    summary: str = "",
    action: str = "",
) -> None:
    """The deletion log entry of a batch and, before the batch commits, its journal line
    (``retention/journal.py``): a batch that cannot be journaled is rolled back."""
    action = action or (rule.action if rule is not None else RetentionRule.Action.DELETE)
    at = current_time()
    batch = uuid.uuid4() if journal_rows is not None else None
    keyring = reference_keyring()
    DeletionLogEntry.objects.create(
        category=category.identifier,
        rule=rule,
        rule_summary=(summary or str(rule))[:200],
        action=action,
        run=run,
        count=len(ids),
        digests=keyring.digests(f"{label}:{pk}".encode() for pk in ids),
        key_chain=keyring.current_chain,
        created_at=at,
        journal_batch=batch,
    )
    if journal_rows is not None and batch is not None:
        journal.append(
            category=category.identifier,
            action=action,
            refs=journal.references(label, journal_rows),
            at=at,
            batch=batch.hex,
        )
    if run is not None and current_time() - run.heartbeat_at >= heartbeat_every():
        # a sign of life now and then, not per batch: one round trip less per batch
        run.heartbeat_at = current_time()
        PurgeRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at)


def purge_rule(
    *,
    category: RetentionCategory,
    rule: RetentionRule,
    at: datetime.datetime,
    run: PurgeRun | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RuleReport:
    """Delete (or anonymise) what ``rule`` says is expired, batch by batch.

    Each batch is one transaction: lock the next ``batch_size`` expired, unheld items after the
    last id seen (``ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED``: an index range scan, no
    ``OFFSET``; rows another worker holds are left to it), act on them, log them. Where
    ``deletes_in_one_statement`` allows, the lock and the delete are one statement.
    """
    free, held = _expired_and_free(category, rule, at)
    label = free.model._meta.label_lower
    report = RuleReport(rule=rule, held=held.count() if held is not None else 0)
    if category.max_batch_size:
        batch_size = min(batch_size, category.max_batch_size)
    field = category.fingerprint_field()
    one_statement = deletes_in_one_statement(category, rule)
    last_pk = None
    while True:
        candidates = free.order_by("pk")
        if last_pk is not None:
            candidates = candidates.filter(pk__gt=last_pk)
        if category.has_files:
            done, last_pk = _purge_batch_with_files(
                category=category,
                rule=rule,
                run=run,
                candidates=candidates,
                label=label,
                batch_size=batch_size,
            )
        else:
            with transaction.atomic():
                if one_statement:
                    rows = _delete_next_rows(candidates, batch_size, field)
                else:
                    # the journal's fingerprints come with the lock: no query more per batch
                    rows = _lock_next_rows(candidates, batch_size, field)
                locked = [pk for pk, _fingerprint in rows]
                if locked and not one_statement:
                    _act(category, rule, locked)
                if locked:
                    _log_batch(
                        category=category,
                        rule=rule,
                        run=run,
                        label=label,
                        ids=locked,
                        journal_rows=rows,
                    )
            done, last_pk = len(locked), (locked[-1] if locked else None)
        if last_pk is None:
            break
        report.done += done
    report.expired = report.done + report.held
    return report


def _act(category: RetentionCategory, rule: RetentionRule, ids: list[Any]) -> None:
    if rule.action == RetentionRule.Action.ANONYMISE:
        category.anonymise_batch(ids)
    else:
        category.delete_batch(ids)


def _purge_batch_with_files(
    *,
    category: RetentionCategory,
    rule: RetentionRule,
    run: PurgeRun | None,
    candidates: models.QuerySet,
    label: str,
    batch_size: int,
) -> tuple[int, Any]:
    """Mark, delete the files, delete the rows: each step safe to repeat after a crash.

    Returns how many items went and the last id seen (None when nothing was left)."""
    with transaction.atomic():
        marked = _lock_next(candidates, batch_size)
        if not marked:
            return 0, None
        category.mark_batch(marked)
    # Outside any transaction: storage errors propagate and fail the run; the rows stay
    # (marked, still expired) and the next run deletes their files again, then the rows.
    category.delete_files(marked)
    with transaction.atomic():
        # Only rows still present: a concurrent worker may have finished some of them.
        gone_files = _lock(category.queryset(), marked)
        if gone_files:
            rows = _journal_rows(category, gone_files)
            _act(category, rule, gone_files)
            _log_batch(
                category=category,
                rule=rule,
                run=run,
                label=label,
                ids=gone_files,
                journal_rows=rows,
            )
    return len(gone_files), marked[-1]


def rotate_deletion_log_references(batch_size: int = 200) -> RotationReport:
    """Wrap every deletion-log entry's item references under the current
    ``RETENTION_REFERENCE_SECRET``: the deleted items are gone, so their references cannot be
    made anew; ``find_deletions`` follows each entry's chain meanwhile."""
    keyring = reference_keyring()

    def rewrite(values: dict) -> dict | None:
        chain = values["key_chain"]
        if keyring.is_current(chain):
            return None
        raw = bytes(values["digests"])
        parts = [raw[i : i + 32] for i in range(0, len(raw), 32)]
        wrapped = [keyring.wrap(part, chain)[0] for part in parts]
        return {"digests": b"".join(wrapped), "key_chain": keyring.wrap(b"", chain)[1]}

    return rotate_field(
        name="deletion log references",
        queryset=DeletionLogEntry.objects.all(),
        fields=["digests", "key_chain"],
        rewrite=rewrite,
        batch_size=batch_size,
    )


# -- deletions asked for now (host, administrator, erasure) ----------------------------------
class ItemsHeld(Exception):
    """A legal hold keeps some of the items: nothing was deleted. ``references`` are the item
    keys ("meetings.recording:17"), never personal data."""

    def __init__(self, references: list[str]) -> None:
        super().__init__(f"{len(references)} item(s) kept by a legal hold")
        self.references = references


def held_items(*, identifier: str, ids: list[Any]) -> list[Any]:
    """The primary keys among ``ids`` that an active legal hold keeps."""
    category = registry.get(identifier)
    condition = category.held_filter(LegalHold.active_references())
    if condition is None or not ids:
        return []
    queryset = category.queryset().filter(EqualsAny(F("pk"), list(ids))).filter(condition)
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def delete_items(
    *, identifier: str, ids: list[Any], reason: str, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Delete the items ``ids`` of category ``identifier`` now, as the nightly purge would:
    files first (for categories with files), then the rows, a deletion-log entry saying why
    (``reason``: no personal data, e.g. "deleted by the host") and the journal line.

    Every deletion path of an item that has a category goes here (docs/POLICY.md, retention),
    never through ``Model.delete``: that would leave files behind, ignore legal holds and
    leave no trace. Raises :class:`ItemsHeld` (deleting nothing) when a legal hold keeps any
    of them. Returns how many went; items already gone are not counted.
    """
    category = registry.get(identifier)
    held = held_items(identifier=identifier, ids=ids)
    if held:
        label = category.queryset().model._meta.label_lower
        raise ItemsHeld([f"{label}:{pk}" for pk in held])
    label = category.queryset().model._meta.label_lower
    if category.max_batch_size:
        batch_size = min(batch_size, category.max_batch_size)
    done = 0
    remaining = list(ids)
    while remaining:
        chunk, remaining = remaining[:batch_size], remaining[batch_size:]
        done += _delete_now(
            category=category,
            ids=chunk,
            label=label,
            summary=reason,
            action=RetentionRule.Action.DELETE,
        )
    return done


def _delete_now(
    *,
    category: RetentionCategory,
    ids: list[Any],
    label: str,
    summary: str,
    action: str,
    journal_again: bool = True,
) -> int:
    """Mark, delete the files, delete (or anonymise) the rows and log them: one batch."""
    if category.has_files and action == RetentionRule.Action.DELETE:
        with transaction.atomic():
            marked = _lock(category.queryset(), ids)
            if not marked:
                return 0
            category.mark_batch(marked)
        category.delete_files(marked)
        ids = marked
    with transaction.atomic():
        locked = _lock(category.queryset(), ids)
        if not locked:
            return 0
        rows = _journal_rows(category, locked) if journal_again else None
        if action == RetentionRule.Action.ANONYMISE:
            category.anonymise_batch(locked)
        else:
            category.delete_batch(locked)
        _log_batch(
            category=category,
            rule=None,
            run=None,
            label=label,
            ids=locked,
            journal_rows=rows,
            summary=summary,
            action=action,
        )
    return len(locked)


# -- after a restore: the deletion journal ----------------------------------------------------
REAPPLIED = "reapplied from the deletion journal after a restore"
#: Rows read per query while matching a category's table against the journal.
REAPPLY_SCAN_CHUNK = 20000


@dataclass
class ReapplyReport:
    category: str
    action: str
    journaled: int = 0
    found: int = 0
    done: int = 0


def restored_items(
    *, category: RetentionCategory, references: set[bytes], action: str
) -> list[Any]:
    """The primary keys of rows of ``category`` whose journal reference is in ``references``:
    rows deleted (or anonymised) once and back from a backup.

    Reads the table in primary-key order, ``REAPPLY_SCAN_CHUNK`` rows a query (keyset, no
    ``OFFSET``), and hashes each row's key and fingerprint; no row is held in memory beyond
    one chunk, the journal's references are (16 bytes each)."""
    queryset = category.queryset()
    if action == RetentionRule.Action.ANONYMISE:
        queryset = category.not_yet_anonymised(queryset)
    label = queryset.model._meta.label_lower
    field = category.fingerprint_field()
    queryset, columns = with_fingerprints(queryset, field)
    make = journal.ReferenceMaker()
    found: list[Any] = []
    last_pk = None
    while True:
        chunk = queryset.order_by("pk")
        if last_pk is not None:
            chunk = chunk.filter(pk__gt=last_pk)
        rows = list(chunk.values_list(*columns)[:REAPPLY_SCAN_CHUNK])
        if not rows:
            return found
        for row in rows:
            if make(label, row[0], row[1] if field else None) in references:
                found.append(row[0])
        last_pk = rows[-1][0]


def reapply_deletions(
    *,
    identifiers: list[str] | None = None,
    at: datetime.datetime | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[ReapplyReport]:
    """Delete (or anonymise) again every item the deletion journal names that is back in the
    database, e.g. after a backup was restored (docs/BACKUP.md).

    Legal holds do not apply: the deletion already happened (a hold restored from the backup
    is older than it). Each batch is logged ("reapplied …") but not journaled again. Files of
    restored recordings (a storage backup) are deleted with their rows; files whose rows are
    gone are the storage restore's to handle (docs/BACKUP.md, the order of the steps).
    """
    at = at or current_time()
    wanted = identifiers if identifiers is not None else registry.identifiers()
    journaled = journal.references_by_category(since=journal.keep_since(at), categories=wanted)
    reports: list[ReapplyReport] = []
    for (identifier, action), references in sorted(journaled.items()):
        if identifier not in registry:
            continue
        reports.append(
            _reapply(
                category=registry.get(identifier),
                action=action,
                references=references,
                dry_run=dry_run,
                batch_size=batch_size,
            )
        )
    return reports


def _reapply(
    *,
    category: RetentionCategory,
    action: str,
    references: set[bytes],
    dry_run: bool,
    batch_size: int,
) -> ReapplyReport:
    """Find the rows of ``category`` that ``references`` name and delete (anonymise) them."""
    report = ReapplyReport(category=category.identifier, action=action, journaled=len(references))
    found = restored_items(category=category, references=references, action=action)
    report.found = len(found)
    if found and not dry_run:
        label = category.queryset().model._meta.label_lower
        size = min(batch_size, category.max_batch_size or batch_size)
        for start in range(0, len(found), size):
            report.done += _delete_now(
                category=category,
                ids=found[start : start + size],
                label=label,
                summary=REAPPLIED,
                action=action,
                journal_again=False,
            )
    if report.found:
        logger.warning(
            "deletion journal: %s of %s had %s restored item(s), %s done again",
            action,
            category.identifier,
            report.found,
            report.done,
        )
    return report


#: Journal batches looked up in the deletion log per query.
BATCH_LOOKUP_CHUNK = 5000


def _batches_in_database(batches: set[str]) -> set[str]:
    """The journal batches whose deletion-log entry this database holds (and so their
    deletions: the entry commits with them)."""
    wanted = []
    for batch in batches:
        try:
            wanted.append(uuid.UUID(hex=batch))
        except ValueError:
            continue  # not a batch this engine wrote: its rows are looked for
    present: set[str] = set()
    for start in range(0, len(wanted), BATCH_LOOKUP_CHUNK):
        chunk = wanted[start : start + BATCH_LOOKUP_CHUNK]
        found = DeletionLogEntry.objects.filter(journal_batch__in=chunk)
        present.update(value.hex for value in found.values_list("journal_batch", flat=True))
    return present


def reapply_since_checkpoint(
    *,
    identifier: str,
    at: datetime.datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[ReapplyReport]:
    """The nightly purge's replay of the deletion journal for one category: only the lines
    appended after this database's checkpoint (``JournalCheckpoint``), and of those only the
    batches whose deletion-log entry this database lacks (a restored backup lacks the entries
    of every batch after it; a crash between a line and its commit leaves one without).
    Their rows are looked for and deleted (anonymised) again as by ``reapply_deletions``.

    The checkpoint then moves to the end of what was read, unless some restored row could not
    be dealt with now (another transaction holds it): those lines are read again next time.
    Lines written before batches carried an identifier are looked for once, then passed.
    """
    at = at or current_time()
    checkpoint = JournalCheckpoint.objects.filter(category=identifier).first()
    start = journal.Position()
    if checkpoint is not None:
        start = journal.Position(checkpoint.file, checkpoint.offset)
    entries, end = journal.read_after(start, category=identifier, since=journal.keep_since(at))
    present = _batches_in_database({entry.batch for entry in entries if entry.batch})
    missing: dict[str, set[bytes]] = {}
    for entry in entries:
        if not entry.batch or entry.batch not in present:
            missing.setdefault(entry.action, set()).update(entry.references())
    reports = [
        _reapply(
            category=registry.get(identifier),
            action=action,
            references=references,
            dry_run=False,
            batch_size=batch_size,
        )
        for action, references in sorted(missing.items())
    ]
    if end != start and all(report.done == report.found for report in reports):
        JournalCheckpoint.objects.update_or_create(
            category=identifier, defaults={"file": end.file, "offset": end.offset}
        )
    return reports

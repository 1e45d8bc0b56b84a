"""The purge service: holds, dry runs, crashes mid-batch, claims and the deletion log."""

import datetime
import json

import pytest
from django.utils import timezone

from portal.identity.models import AuditEvent
from retention import services
from retention.models import DeletionLogEntry, LegalHold, PurgeRun
from tests.factories import backdate, make_user
from tests.retention.conftest import NOW, AuditBackedCategory, make_item

OLD = NOW - datetime.timedelta(days=31)
FRESH = NOW - datetime.timedelta(days=29)


@pytest.fixture
def chat(db, register_category, rule):
    rule("chat", period_amount=30)
    return register_category("chat")


def test_it_deletes_expired_items_in_batches_and_logs_each_item_once(chat):
    old = [make_item(created_at=OLD) for _ in range(5)]
    fresh = make_item(created_at=FRESH)

    report = services.purge_category(identifier="chat", at=NOW, batch_size=2)

    assert report.done == 5
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [fresh.pk]
    entries = DeletionLogEntry.objects.filter(category="chat")
    assert sorted(e.count for e in entries) == [1, 2, 2]
    logged = [ref for e in entries for ref in e.references]
    expected = {services.item_reference(f"portal.auditevent:{item.pk}") for item in old}
    assert len(logged) == 5
    assert set(logged) == expected
    run = PurgeRun.objects.get(pk=report.run_id)
    assert run.status == PurgeRun.Status.SUCCEEDED
    assert (run.deleted_count, run.expired_count, run.held_count) == (5, 5, 0)
    assert run.finished_at is not None


def test_it_skips_and_reports_items_under_legal_hold(chat, admin_user):
    held = make_item(created_at=OLD, meeting=42)
    free = make_item(created_at=OLD, meeting=43)
    LegalHold.objects.create(
        reference="meetings.meeting:42", reason="court order", created_by=admin_user
    )

    report = services.purge_category(identifier="chat", at=NOW)

    assert report.held == 1
    assert AuditEvent.objects.filter(pk=held.pk).exists()
    assert not AuditEvent.objects.filter(pk=free.pk).exists()
    run = PurgeRun.objects.get(pk=report.run_id)
    assert (run.held_count, run.deleted_count) == (1, 1)


def test_a_released_hold_lets_the_next_run_delete(chat):
    held = make_item(created_at=OLD, meeting=42)
    hold = LegalHold.objects.create(reference="meetings.meeting:42", reason="audit")
    services.purge_category(identifier="chat", at=NOW)
    assert AuditEvent.objects.filter(pk=held.pk).exists()

    hold.released_at = NOW
    hold.save()
    report = services.purge_category(identifier="chat", at=NOW)

    assert report.held == 0
    assert not AuditEvent.objects.filter(pk=held.pk).exists()


def test_a_hold_on_the_item_itself_keeps_it(chat):
    item = make_item(created_at=OLD)
    LegalHold.objects.create(reference=f"portal.auditevent:{item.pk}", reason="audit")

    report = services.purge_category(identifier="chat", at=NOW)

    assert report.held == 1
    assert AuditEvent.objects.filter(pk=item.pk).exists()


def test_a_dry_run_changes_nothing(chat):
    items = [make_item(created_at=OLD) for _ in range(3)]
    LegalHold.objects.create(reference=f"meetings.meeting:{items[0].target_id}", reason="x")
    make_item(created_at=OLD, meeting=7)

    report = services.purge_category(identifier="chat", at=NOW, dry_run=True)

    assert (report.expired, report.held) == (4, 3)
    unheld = AuditEvent.objects.get(target_id="7")
    assert report.rules[0].sample == [f"portal.auditevent:{unheld.pk}"]
    assert AuditEvent.objects.count() == 4
    assert not PurgeRun.objects.exists()
    assert not DeletionLogEntry.objects.exists()


def test_an_exception_mid_batch_leaves_nothing_half_done(chat, monkeypatch):
    items = [make_item(created_at=OLD) for _ in range(4)]
    calls = []
    original = AuditBackedCategory.delete_batch

    def delete_then_crash(self, ids):
        calls.append(ids)
        original(self, ids)  # the rows are gone inside the transaction ...
        if len(calls) == 2:
            raise RuntimeError("worker crashed")  # ... and come back with the rollback
        return len(ids)

    monkeypatch.setattr(AuditBackedCategory, "delete_batch", delete_then_crash)

    with pytest.raises(RuntimeError):
        services.purge_category(identifier="chat", at=NOW, batch_size=2)

    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert remaining == {items[2].pk, items[3].pk}
    assert DeletionLogEntry.objects.get().count == 2  # only the committed batch
    run = PurgeRun.objects.get()
    assert run.status == PurgeRun.Status.FAILED
    assert run.failure == "RuntimeError: worker crashed"
    assert run.deleted_count == 2

    monkeypatch.setattr(AuditBackedCategory, "delete_batch", original)
    report = services.purge_category(identifier="chat", at=NOW, batch_size=2)

    assert report.done == 2
    assert not AuditEvent.objects.exists()
    logged = [r for e in DeletionLogEntry.objects.all() for r in e.references]
    assert len(logged) == len(set(logged)) == 4


def test_a_second_run_while_one_is_alive_does_nothing(chat):
    make_item(created_at=OLD)
    alive = timezone.now()
    PurgeRun.objects.create(category="chat", started_at=alive, heartbeat_at=alive)

    report = services.purge_category(identifier="chat", at=NOW)

    assert report.status == "busy"
    assert AuditEvent.objects.count() == 1
    assert PurgeRun.objects.count() == 1


def test_a_run_whose_worker_died_is_taken_over(chat):
    make_item(created_at=OLD)
    dead = PurgeRun.objects.create(
        category="chat", started_at=NOW, heartbeat_at=NOW - datetime.timedelta(hours=1)
    )

    report = services.purge_category(identifier="chat", at=NOW)

    assert report.status == PurgeRun.Status.SUCCEEDED
    assert not AuditEvent.objects.exists()
    dead.refresh_from_db()
    assert dead.status == PurgeRun.Status.ABANDONED
    assert "worker lost" in dead.failure


def test_a_rule_for_an_unregistered_category_fails_visibly(db):
    report = services.purge_category(identifier="no_such_category", at=NOW)

    assert report.status == "failed"
    run = PurgeRun.objects.get()
    assert run.status == PurgeRun.Status.FAILED
    assert "not registered" in run.failure


def test_a_disabled_rule_deletes_nothing(db, register_category, rule):
    rule("chat", period_amount=30, enabled=False)
    register_category("chat")
    make_item(created_at=OLD)

    report = services.purge_category(identifier="chat", at=NOW)

    assert report.done == 0
    assert AuditEvent.objects.count() == 1


def test_the_deletion_log_holds_no_personal_data(db):
    user = make_user(
        "erika.m",
        email="erika.mustermann@uni.example",
        first_name="Erika",
        last_name="Mustermann",
        display_name="Eri",
        is_active=False,
    )
    backdate(user, last_login=NOW - datetime.timedelta(days=400))
    chat_text = "Chat text: Alice said hello"
    make_item(created_at=OLD)

    services.purge_category(identifier="stale_accounts", at=NOW)

    entries = list(DeletionLogEntry.objects.values())
    assert entries
    dumped = json.dumps(entries, default=str).encode() + b"".join(
        bytes(e["digests"]) for e in entries
    )
    for personal in ("erika", "Erika", "Mustermann", "Eri", "uni.example", chat_text):
        assert personal.encode() not in dumped
        assert personal.encode("utf-16-le") not in dumped
    reference = services.item_reference(f"portal.user:{user.pk}")
    assert DeletionLogEntry.objects.get().references == [reference]
    assert services.find_deletions(f"portal.user:{user.pk}") == [DeletionLogEntry.objects.get()]
    assert services.find_deletions(f"portal.user:{user.pk + 1}") == []
    assert services.item_reference(f"portal.user:{user.pk}") != services.item_reference(
        f"portal.user:{user.pk + 1}"
    )


def test_a_batch_takes_a_fixed_number_of_queries(chat, django_assert_num_queries):
    for _ in range(6):
        make_item(created_at=OLD)
    run = services.claim_run(category="chat")
    rule = services.RetentionRule.objects.get(category="chat")
    # active holds (1); per batch of 2: lock, delete and read back the next rows in one
    # DELETE … RETURNING, write the log entry (2) inside a savepoint pair (2, the test's
    # transaction); the final empty DELETE (1 + 2). No query per item; the heartbeat is
    # renewed every 30 seconds, not per batch.
    assert services.deletes_in_one_statement(services.registry.get("chat"), rule)
    with django_assert_num_queries(1 + 3 * (2 + 2) + (1 + 2)) as context:
        services.purge_rule(
            category=services.registry.get("chat"), rule=rule, at=NOW, run=run, batch_size=2
        )
    deletes = [q["sql"] for q in context.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 4
    assert all("RETURNING" in sql and "SKIP LOCKED" in sql for sql in deletes)
    assert not AuditEvent.objects.exists()


def test_a_category_with_its_own_delete_takes_a_lock_a_delete_and_a_log_per_batch(
    register_category, rule, django_assert_num_queries
):
    rule("chat", period_amount=30)
    deleted = []

    def delete_batch(self, ids):
        deleted.extend(ids)
        return AuditEvent.objects.filter(pk__in=ids).delete()[0]

    category = register_category("chat", delete_batch=delete_batch)
    items = [make_item(created_at=OLD) for _ in range(4)]
    rule_ = services.RetentionRule.objects.get(category="chat")
    assert not services.deletes_in_one_statement(category, rule_)
    # active holds (1); per batch: lock, the category's delete, log (3) in savepoints (2)
    with django_assert_num_queries(1 + 2 * (3 + 2) + (1 + 2)):
        report = services.purge_rule(category=category, rule=rule_, at=NOW, run=None, batch_size=2)
    assert report.done == 4 and deleted == [item.pk for item in items]


def test_a_long_run_renews_its_heartbeat_between_batches(chat, settings):
    for _ in range(3):
        make_item(created_at=OLD)
    settings.RETENTION_HEARTBEAT_SECONDS = 0
    report = services.purge_category(identifier="chat", at=NOW, batch_size=1)

    run = PurgeRun.objects.get(pk=report.run_id)
    assert run.heartbeat_at > run.started_at
    assert run.deleted_count == 3

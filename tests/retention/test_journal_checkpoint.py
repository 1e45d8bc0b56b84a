"""The nightly replay of the deletion journal reads only what was appended after the database's
checkpoint and looks only for batches whose deletion-log entry the database lacks
(retention/journal.py, docs/BACKUP.md); the purge's faster hashing and fingerprints give the
same bytes as before."""

import datetime
import hashlib
import hmac

import pytest
from django.db import connection
from django.utils import timezone

from portal.identity.models import AuditEvent
from retention import journal, services
from retention.keyring import HmacSha256
from retention.models import DeletionLogEntry, JournalCheckpoint
from tests.retention.conftest import NOW, make_item

OLD = NOW - datetime.timedelta(days=31)


@pytest.fixture
def chat(db, register_category, rule):
    rule("chat", period_amount=30)
    return register_category("chat")


def restore_row(item: AuditEvent) -> None:
    """The row back as a restored backup brings it: same primary key, same creation time."""
    AuditEvent.objects.create(
        pk=item.pk,
        action="test-item",
        target_type="meetings.meeting",
        target_id=item.target_id,
        reason="Chat text: Alice said hello",
        details=item.details,
    )
    AuditEvent.objects.filter(pk=item.pk).update(created_at=item.created_at)


def test_a_purge_sets_the_checkpoint_and_the_next_replay_looks_for_nothing(chat):
    items = [make_item(created_at=OLD) for _ in range(3)]
    services.purge_category(identifier="chat", at=NOW, batch_size=2)
    assert DeletionLogEntry.objects.filter(journal_batch__isnull=False).count() == 2
    [path] = journal.files()

    # the batches were journaled after this purge's replay: the next replay reads them, finds
    # their log entries in the database and looks for no row
    restore_row(items[0])  # would be found if its batch were looked for
    assert services.reapply_since_checkpoint(identifier="chat") == []
    assert AuditEvent.objects.filter(pk=items[0].pk).exists()
    checkpoint = JournalCheckpoint.objects.get(category="chat")
    assert (checkpoint.file, checkpoint.offset) == (path.name, path.stat().st_size)


def test_a_restored_database_lacks_the_log_entries_and_the_rows_go_again(chat):
    make_item(created_at=OLD)
    services.purge_category(identifier="chat", at=NOW)  # an earlier night
    item = make_item(created_at=OLD)
    # tonight: the replay moves the checkpoint past the earlier night's line, then the purge
    services.purge_category(identifier="chat", at=NOW)
    checkpoint = JournalCheckpoint.objects.get(category="chat")
    # "restore" a backup taken between tonight's replay and its purge: the row is back, the
    # log entry of tonight's batch is not; the checkpoint is the backup's
    restore_row(item)
    tonight = DeletionLogEntry.objects.filter(category="chat").order_by("-pk")[0]
    tonight.delete()

    [report] = services.reapply_since_checkpoint(identifier="chat")

    assert (report.journaled, report.found, report.done) == (1, 1, 1)
    assert not AuditEvent.objects.filter(pk=item.pk).exists()
    again = DeletionLogEntry.objects.filter(category="chat").order_by("-pk")[0]
    assert again.rule_summary == services.REAPPLIED and again.journal_batch is None
    assert JournalCheckpoint.objects.get(category="chat").offset > checkpoint.offset


def test_a_line_whose_batch_never_committed_is_looked_for(chat):
    """A crash between the journal line and the commit: the line names rows still there."""
    item = make_item(created_at=OLD)
    journal.append(
        category="chat",
        action="delete",
        refs=journal.references("portal.auditevent", [(item.pk, item.created_at)]),
        at=timezone.now(),
        batch="0" * 32,
    )

    [report] = services.reapply_since_checkpoint(identifier="chat")

    assert report.done == 1
    assert not AuditEvent.objects.filter(pk=item.pk).exists()


def test_a_line_being_written_is_left_for_the_next_replay(chat):
    make_item(created_at=OLD)
    services.purge_category(identifier="chat", at=NOW)
    item = make_item(created_at=OLD)
    refs = journal.references("portal.auditevent", [(item.pk, item.created_at)])
    journal.append(category="chat", action="delete", refs=refs, at=timezone.now(), batch="1" * 32)
    [path] = journal.files()
    whole = path.read_bytes()
    path.write_bytes(whole[:-20])  # the line's end not written yet

    assert services.reapply_since_checkpoint(identifier="chat") == []
    assert AuditEvent.objects.filter(pk=item.pk).exists()
    assert JournalCheckpoint.objects.get(category="chat").offset < len(whole) - 20

    path.write_bytes(whole)
    [report] = services.reapply_since_checkpoint(identifier="chat")
    assert report.done == 1


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next_one():
    journal.append(
        category="chat", action="delete", refs=b"x" * 16, at=timezone.now(), batch="2" * 32
    )
    [path] = journal.files()
    path.write_bytes(path.read_bytes()[:-10])  # the crash: no newline
    journal.append(
        category="chat", action="delete", refs=b"y" * 16, at=timezone.now(), batch="3" * 32
    )

    assert [entry.batch for entry in journal.read()] == ["3" * 32]


def test_a_journal_shorter_than_the_checkpoint_is_read_from_its_start(chat):
    item = make_item(created_at=OLD)
    refs = journal.references("portal.auditevent", [(item.pk, item.created_at)])
    journal.append(category="chat", action="delete", refs=refs, at=timezone.now(), batch="4" * 32)
    [path] = journal.files()
    JournalCheckpoint.objects.create(category="chat", file=path.name, offset=10**9)

    [report] = services.reapply_since_checkpoint(identifier="chat")

    assert report.done == 1


@pytest.mark.parametrize("key_size", [0, 16, 32, 64, 65, 200])
def test_the_precomputed_hmac_is_hmac_sha256(key_size):
    key = hashlib.sha512(b"key").digest() * 4
    key = key[:key_size]
    for message in (b"", b"portal.user:42", b"x" * 1000):
        assert HmacSha256(key).digest(message) == hmac.digest(key, message, "sha256")
    messages = [b"a", b"", b"portal.user:42"]
    expected = [hmac.digest(key, message, "sha256") for message in messages]
    assert HmacSha256(key).digests(messages) == b"".join(expected)
    assert HmacSha256(key).digests(messages, 16) == b"".join(d[:16] for d in expected)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_writes_the_fingerprint_python_writes():
    if connection.vendor != "postgresql":
        pytest.skip("the fingerprint is made by PostgreSQL only")
    berlin = datetime.timezone(datetime.timedelta(hours=2))
    moments = [
        datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 1, 10, 0, 0, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 1, 1, 30, 5, 120000, tzinfo=berlin),
        datetime.datetime(1999, 1, 2, 3, 4, 5, tzinfo=berlin),
    ]
    items = [make_item(created_at=moment) for moment in moments]
    queryset, columns = services.with_fingerprints(
        AuditEvent.objects.filter(pk__in=[i.pk for i in items]), "created_at"
    )
    assert columns[1] != "created_at"
    made = dict(queryset.values_list(*columns))
    assert made == {item.pk: journal.fingerprint(item.created_at) for item in items}
    assert made[items[0].pk] == "2026-03-01T10:00:00+00:00"
    assert made[items[3].pk] == "2026-06-30T23:30:05.120000+00:00"

"""Categories with files (recordings): mark, delete the file, delete the row — crash-safe."""

import datetime

import pytest
from django.core.files.storage import FileSystemStorage

from portal.identity.models import AuditEvent
from retention import services
from retention.models import DeletionLogEntry, PurgeRun
from tests.retention.conftest import NOW, FileBackedCategory, make_file_item, make_item

OLD = NOW - datetime.timedelta(days=8)


@pytest.fixture
def storage(tmp_path):
    return FileSystemStorage(location=tmp_path)


@pytest.fixture
def recordings(db, register_category, rule, storage):
    rule("recordings", counts_from="consent_withdrawn", period_amount=7)
    return register_category("recordings", FileBackedCategory, storage=storage)


def test_it_deletes_the_file_and_the_row(recordings, storage):
    item = make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn")
    kept = make_file_item(storage, created_at=NOW, counts_from="consent_withdrawn")

    report = services.purge_category(identifier="recordings", at=NOW)

    assert report.done == 1
    assert not storage.exists(item.details["file"])
    assert not AuditEvent.objects.filter(pk=item.pk).exists()
    assert storage.exists(kept.details["file"])
    assert DeletionLogEntry.objects.get().references == [
        services.item_reference(f"portal.auditevent:{item.pk}")
    ]


def test_a_crash_between_file_and_row_deletion_is_finished_by_the_next_run(
    recordings, storage, monkeypatch
):
    item = make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn")

    def killed(self, ids):
        raise SystemExit("worker killed after deleting the files")

    monkeypatch.setattr(FileBackedCategory, "delete_batch", killed)
    with pytest.raises(SystemExit):
        services.purge_category(identifier="recordings", at=NOW)

    # the file is gone, the row is still there and marked; nothing is logged yet
    assert not storage.exists(item.details["file"])
    item.refresh_from_db()
    assert item.target_type == "deleting"
    assert not DeletionLogEntry.objects.exists()
    # the killed worker's run stays "running" until its heartbeat is stale
    PurgeRun.objects.update(heartbeat_at=NOW - datetime.timedelta(hours=1))

    monkeypatch.undo()
    report = services.purge_category(identifier="recordings", at=NOW)

    assert report.done == 1
    assert not AuditEvent.objects.filter(pk=item.pk).exists()
    assert DeletionLogEntry.objects.get().count == 1
    assert set(PurgeRun.objects.values_list("status", flat=True)) == {
        PurgeRun.Status.ABANDONED,
        PurgeRun.Status.SUCCEEDED,
    }


def test_unavailable_storage_fails_the_run_visibly_and_keeps_everything(recordings, storage):
    item = make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn")
    recordings.fail_storage = True

    with pytest.raises(OSError):
        services.purge_category(identifier="recordings", at=NOW)

    run = PurgeRun.objects.get()
    assert run.status == PurgeRun.Status.FAILED
    assert run.failure == "OSError: storage unavailable"
    assert AuditEvent.objects.filter(pk=item.pk).exists()
    assert storage.exists(item.details["file"])
    assert not DeletionLogEntry.objects.exists()

    recordings.fail_storage = False
    report = services.purge_category(identifier="recordings", at=NOW)

    assert report.done == 1
    assert not storage.exists(item.details["file"])
    assert not AuditEvent.objects.filter(pk=item.pk).exists()


def test_a_row_whose_file_is_already_gone_is_deleted(recordings, storage):
    item = make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn")
    storage.delete(item.details["file"])

    report = services.purge_category(identifier="recordings", at=NOW)

    assert report.done == 1
    assert not AuditEvent.objects.filter(pk=item.pk).exists()


def test_a_held_recording_keeps_its_file(recordings, storage):
    from retention.models import LegalHold

    item = make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn", meeting=9)
    make_item(created_at=NOW, counts_from="consent_withdrawn")
    LegalHold.objects.create(reference="meetings.meeting:9", reason="investigation")

    report = services.purge_category(identifier="recordings", at=NOW)

    assert report.held == 1
    assert storage.exists(item.details["file"])
    item.refresh_from_db()
    assert item.target_type == "meetings.meeting"  # not even marked


def test_a_category_may_cap_its_batch_size(recordings, storage):
    recordings.max_batch_size = 2
    for _ in range(5):
        make_file_item(storage, created_at=OLD, counts_from="consent_withdrawn")

    report = services.purge_category(identifier="recordings", at=NOW, batch_size=1000)

    assert report.done == 5
    assert sorted(DeletionLogEntry.objects.values_list("count", flat=True)) == [1, 2, 2]

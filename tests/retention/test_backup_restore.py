"""A restored backup cannot bring erased data back for good: every deletion is also in the
deletion journal outside the database, and ``reapply_deletions`` (or the nightly run) deletes
again what a restore brought back. With real ``pg_dump``/``pg_restore`` and the file storage
(docs/BACKUP.md)."""

import datetime
import os
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils.timezone import now

from meetings.recordings.models import Recording
from meetings.recordings.services import schedule_recording_deletion
from meetings.scheduling.models import Meeting
from portal.identity.models import User
from retention import journal
from retention.models import DeletionLogEntry, RetentionRule
from retention.services import REAPPLIED, find_deletions, purge_category
from tests.factories import backdate, make_meeting, make_recording, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("recordings_storage"),
]


def database_args():
    settings = connection.settings_dict
    return [
        "--host",
        settings["HOST"] or "127.0.0.1",
        "--port",
        str(settings["PORT"] or 5432),
        "--username",
        settings["USER"] or "postgres",
        "--dbname",
        settings["NAME"],
    ]


def dump(path):
    subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(path), *database_args()], check=True
    )


def restore(path):
    connections.close_all()  # pg_restore --clean drops the tables
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--single-transaction",
            *database_args(),
            str(path),
        ],
        check=True,
    )


@pytest.fixture
def backup(tmp_path, recordings_storage):
    """Takes a backup now (database dump and a copy of the recordings storage) and restores it
    when called with ``restore=True``."""

    class Backup:
        def take(self):
            dump(tmp_path / "portal.dump")
            recordings_storage.mkdir(parents=True, exist_ok=True)
            shutil.copytree(recordings_storage, tmp_path / "recordings-copy")

        def restore(self):
            restore(tmp_path / "portal.dump")
            shutil.rmtree(recordings_storage, ignore_errors=True)
            shutil.copytree(tmp_path / "recordings-copy", recordings_storage)

    return Backup()


def withdrawn_and_purged(recording):
    schedule_recording_deletion(
        recording=recording,
        due_at=now() - datetime.timedelta(minutes=1),
        reason="consent withdrawn",
    )
    report = purge_category(identifier="recordings")
    assert report.done == 1


def test_a_restore_does_not_resurrect_a_recording_deleted_for_a_withdrawn_consent(backup):
    meeting = make_meeting(make_user("host"), status=Meeting.Status.ENDED)
    recording = make_recording(meeting)
    kept = make_recording(meeting)
    path, key = recording.file.path, f"meetings.recording:{recording.pk}"
    backup.take()

    withdrawn_and_purged(recording)
    assert not os.path.exists(path)
    backup.restore()

    # the restore brought back the row, the file and a deletion log without the deletion
    assert Recording.objects.filter(pk=recording.pk, deletion_due_at__isnull=True).exists()
    assert os.path.exists(path)
    assert not find_deletions(key)

    call_command("reapply_deletions")

    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not os.path.exists(path)
    assert [entry.rule_summary for entry in find_deletions(key)] == [REAPPLIED]
    assert os.path.exists(Recording.objects.get(pk=kept.pk).file.path)


def test_the_nightly_run_deletes_restored_items_even_without_the_command(backup):
    recording = make_recording(make_meeting(make_user("host"), status=Meeting.Status.ENDED))
    backup.take()
    withdrawn_and_purged(recording)
    backup.restore()
    # after the restore nothing marks the recording for deletion: only the journal knows
    assert not Recording.objects.get(pk=recording.pk).deletion_due_at

    purge_category(identifier="recordings")

    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_an_anonymised_account_is_anonymised_again_after_a_restore(backup):
    user = backdate(make_user("leaver"), last_login=now() - datetime.timedelta(days=400))
    backup.take()
    purge_category(identifier="stale_accounts")
    assert User.objects.get(pk=user.pk).username.startswith("anonymised-")
    backup.restore()
    assert User.objects.get(pk=user.pk).username == "leaver"

    call_command("reapply_deletions", "--category", "stale_accounts")

    assert User.objects.get(pk=user.pk).username.startswith("anonymised-")


def test_a_new_row_reusing_a_restored_primary_key_is_not_deleted(backup):
    """The restore also winds the sequences back: a row made afterwards may get a deleted
    row's primary key; the journal's fingerprint (creation time) tells them apart."""
    host = make_user("host")
    backup.take()
    recording = make_recording(make_meeting(host, status=Meeting.Status.ENDED))
    pk = recording.pk
    withdrawn_and_purged(recording)
    backup.restore()  # the backup never had it; the sequence is back before it
    newcomer = make_recording(make_meeting(host, status=Meeting.Status.ENDED))
    assert newcomer.pk == pk

    call_command("reapply_deletions")

    assert Recording.objects.filter(pk=pk).exists()


def test_the_journal_holds_no_personal_data_and_only_grows(backup):
    user = backdate(make_user("erika.mustermann"), last_login=now() - datetime.timedelta(days=400))
    recording = make_recording(make_meeting(user, topic="Therapy group", status="ended"))
    withdrawn_and_purged(recording)
    purge_category(identifier="stale_accounts")

    [path] = journal.files()
    text = path.read_text()
    for personal in ("erika", "Therapy", recording.token, "meetings.recording"):
        assert personal not in text
    assert [entry.category for entry in journal.read()] == ["recordings", "stale_accounts"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_dry_run_changes_nothing(backup, capsys):
    recording = make_recording(make_meeting(make_user("host"), status=Meeting.Status.ENDED))
    backup.take()
    withdrawn_and_purged(recording)
    backup.restore()

    call_command("reapply_deletions", "--dry-run")

    assert "recordings (delete): 1 in the journal, 1 restored, 1 would go again" in (
        capsys.readouterr().out
    )
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert not DeletionLogEntry.objects.filter(rule_summary=REAPPLIED).exists()
    assert RetentionRule.objects.exists()

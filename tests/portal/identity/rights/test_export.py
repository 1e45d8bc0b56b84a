"""A person's export: every registered kind, their records only; the archive and its progress."""

import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.identity.models import DataExport
from portal.identity.rights.services import build_export, request_export, subject_for_user
from retention.subjects import subjects

#: Kinds the fixture gives no records to (no running Zoom meeting, no Zoom webhook, no hold
#: ordered, no request filed yet, no reads of others' data as staff).
NOT_IN_FIXTURE = {
    "access_log_reads",
    "zoom_registrations",
    "zoom_webhook_payloads",
    "legal_holds_ordered",
    "erasure_requests",
    "data_exports",
}


def test_each_kind_exports_the_persons_records_and_no_one_elses(alice, bob):
    subject = subject_for_user(alice.user)
    for kind in subjects:
        rows = list(kind.export(subject))
        text = json.dumps(rows, ensure_ascii=False)
        if kind.identifier not in NOT_IN_FIXTURE:
            assert rows, f"{kind.identifier} found nothing of alice's"
        for identifier in bob.identifiers + [bob.marker, "Bobby"]:
            assert identifier not in text, f"{kind.identifier} exports bob's {identifier!r}"
        json.dumps(rows)  # JSON-able


def test_the_chat_export_holds_the_persons_messages(alice, bob):
    rows = list(subjects.get("chat_messages").export(subject_for_user(alice.user)))
    assert [row["text"] for row in rows] == ["chat text alicemark"]
    assert rows[0]["sent_by_you"] is True


def test_finding_takes_the_same_number_of_queries_for_one_record_or_many(alice, bob):
    from meetings.live.models import ChatMessage

    subject = subject_for_user(alice.user)
    chat = subjects.get("chat_messages")
    with CaptureQueriesContext(connection) as few:
        list(chat.export(subject))
    message = ChatMessage.objects.filter(sender_user=alice.user).first()
    ChatMessage.objects.bulk_create(
        ChatMessage(
            meeting_id=message.meeting_id,
            sender_user=alice.user,
            sender_name="Wonder",
            text=f"more {n}",
        )
        for n in range(50)
    )
    with CaptureQueriesContext(connection) as many:
        assert len(list(chat.export(subject))) == 51
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_archive_holds_json_per_kind_and_a_readable_page(
    alice, bob, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(user=alice.user)
    export.refresh_from_db()

    assert export.state == DataExport.State.READY
    assert export.kinds_done == export.kinds_total == len(list(subjects))
    with export.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = set(archive.namelist())
        assert "index.html" in names
        assert {f"json/{kind.identifier}.json" for kind in subjects} <= names
        page = archive.read("index.html").decode()
        everything = page + "".join(archive.read(n).decode() for n in names)
    assert "chat text alicemark" in page
    assert "alice@uni.example" in page
    for identifier in [*bob.identifiers, bob.marker]:
        assert identifier not in everything


def test_asking_twice_while_one_is_prepared_gives_the_same_export(alice):
    first = request_export(user=alice.user)
    assert request_export(user=alice.user) == first


def test_a_finished_export_is_not_built_again(alice, eager_celery):
    export = DataExport.objects.create(user=alice.user)
    build_export(export_id=export.pk)
    name = DataExport.objects.get(pk=export.pk).file.name
    build_export(export_id=export.pk)
    assert DataExport.objects.get(pk=export.pk).file.name == name


def test_the_archive_is_deleted_after_its_retention_period(alice, settings):
    import datetime

    from django.utils.timezone import now

    from retention.models import RetentionRule
    from retention.services import purge_category

    export = DataExport.objects.create(user=alice.user)
    build_export(export_id=export.pk)
    export.refresh_from_db()
    path = export.file.path
    rule = RetentionRule.objects.get(category="data_exports")
    assert rule.period_amount == settings.DATA_EXPORT_RETENTION_DAYS == 7

    DataExport.objects.filter(pk=export.pk).update(created_at=now() - datetime.timedelta(days=8))
    purge_category(identifier="data_exports")

    assert not DataExport.objects.filter(pk=export.pk).exists()
    import os

    assert not os.path.exists(path)

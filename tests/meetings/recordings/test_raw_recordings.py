"""Raw recording files never outlive the retention period (docs/POLICY.md, recording).

Janus records into a temporary folder; the files of a session whose conversion failed for good
(or never finished) are deleted by the retention category ``raw_recordings``, unless a legal
hold on the meeting keeps them; the host is told, on the recordings page too.
"""

import contextlib
import datetime
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.test import Client
from django.utils.timezone import now

from meetings.backends import get_backend
from meetings.recordings import services as recording_services
from meetings.recordings.models import RawRecording, RecordingSession
from meetings.recordings.tasks import MAX_ATTEMPTS, convert_backend_recording
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.registry import registry
from retention.services import purge_category
from tests.factories import make_meeting, make_user

pytestmark = [
    pytest.mark.janus,
    pytest.mark.django_db,
    pytest.mark.usefixtures("recordings_storage"),
]


@pytest.fixture
def raw_dir(janus, settings, tmp_path):
    settings.JANUS_RECORDINGS_DIR = tmp_path / "raw"
    return tmp_path / "raw"


@pytest.fixture
def recorded(raw_dir, monkeypatch):
    """A meeting recorded on the real Janus into ``raw_dir``, stopped; Janus' per-stream files
    are stood in for by files that cannot be converted (the conversion fails)."""
    monkeypatch.setattr(recording_services, "_queue_conversion", lambda pk: None)
    host = make_user("host")
    meeting = make_meeting(host, recording_announced=True)
    get_backend().create_room(meeting=meeting)
    session = recording_services.start_recording(meeting=meeting, by=host)
    raw = RawRecording.objects.get(session=session)
    folder = raw_dir / raw.location
    assert folder.is_dir()  # Janus was told to record there
    files = [folder / f"videoroom-1-user-{feed}-1700000000000000-video-0.mjr" for feed in (1, 2)]
    for file in files:
        file.write_bytes(b"MJR00002" + b"\0" * 64)  # a header Janus' tools refuse
    recording_services.stop_recording(meeting=meeting, by=host)
    session.refresh_from_db()
    return meeting, session, files


def fail_for_good(session):
    # what the worker does: the same task again with a growing retry count
    for attempt in range(MAX_ATTEMPTS):
        with contextlib.suppress(Retry):
            convert_backend_recording.apply(args=[session.pk], retries=attempt, throw=True)
    session.refresh_from_db()
    assert session.conversion == RecordingSession.Conversion.FAILED
    assert session.conversion_attempts == MAX_ATTEMPTS


def test_the_category_declares_its_events_and_default_rules():
    category = registry.get("raw_recordings")
    assert category.has_files is True
    assert {rule.counts_from for rule in category.default_rules} == set(
        category.event_identifiers()
    )
    rules = RetentionRule.objects.filter(category="raw_recordings")
    assert set(rules.values_list("counts_from", flat=True)) == set(category.event_identifiers())


def test_after_a_final_failure_the_raw_files_go_at_the_end_of_the_period(recorded):
    meeting, session, files = recorded
    fail_for_good(session)
    raw = RawRecording.objects.get(session=session)
    assert raw.failed_at is not None and all(file.exists() for file in files)

    purge_category(identifier="raw_recordings", at=raw.failed_at + datetime.timedelta(days=6))
    assert all(file.exists() for file in files)

    purge_category(identifier="raw_recordings", at=raw.failed_at + datetime.timedelta(days=7))
    assert not any(file.exists() for file in files)
    assert not files[0].parent.exists()
    assert not RawRecording.objects.filter(pk=raw.pk).exists()
    session.refresh_from_db()
    assert session.conversion == RecordingSession.Conversion.DISCARDED
    assert DeletionLogEntry.objects.filter(category="raw_recordings", count=1).exists()


def test_an_abandoned_conversion_loses_its_raw_files_after_its_own_period(recorded):
    _meeting, session, files = recorded  # the conversion task was lost: still pending
    assert session.conversion == RecordingSession.Conversion.PENDING
    stopped = RawRecording.objects.get(session=session).stopped_at

    purge_category(identifier="raw_recordings", at=stopped + datetime.timedelta(days=1))
    assert all(file.exists() for file in files)
    purge_category(identifier="raw_recordings", at=stopped + datetime.timedelta(days=2))
    assert not any(file.exists() for file in files)
    # a conversion that starts late finds nothing to do
    assert convert_backend_recording.apply(args=[session.pk]).get() is None


def test_a_legal_hold_on_the_meeting_keeps_the_raw_files(recorded):
    meeting, session, files = recorded
    fail_for_good(session)
    hold = LegalHold.objects.create(reference=f"meetings.meeting:{meeting.pk}", reason="court")
    later = now() + datetime.timedelta(days=30)

    purge_category(identifier="raw_recordings", at=later)
    assert all(file.exists() for file in files)
    assert RawRecording.objects.filter(session=session).exists()

    hold.released_at = now()
    hold.save()
    purge_category(identifier="raw_recordings", at=later)
    assert not any(file.exists() for file in files)


def test_the_host_sees_the_failure_on_the_recordings_page(recorded, settings):
    settings.LANGUAGE_CODE = "en"
    meeting, session, _files = recorded
    fail_for_good(session)
    client = Client()
    client.force_login(meeting.host)
    page = client.get(
        f"/meetings/{meeting.meeting_id}/recordings/", headers={"accept-language": "en"}
    ).content.decode()
    assert "could not be processed" in page
    assert "raw files are deleted at the end of the retention period" in page


def test_a_stored_recording_leaves_no_raw_files_behind(recorded, monkeypatch):
    _meeting, session, files = recorded

    def export(self, *, meeting, reference, into: Path) -> Path:
        produced = into / "recording.webm"
        produced.write_bytes(bytes.fromhex("1a45dfa3") + b"\0" * 60)  # WebM magic
        return produced

    monkeypatch.setattr(type(get_backend()), "export_recording", export)
    convert_backend_recording.apply(args=[session.pk])
    session.refresh_from_db()
    assert session.conversion == RecordingSession.Conversion.STORED
    assert not any(file.exists() for file in files)
    assert not RawRecording.objects.filter(session=session).exists()


def test_a_session_that_never_stopped_loses_its_raw_files_after_the_meeting_ended(
    raw_dir, monkeypatch
):
    monkeypatch.setattr(recording_services, "_queue_conversion", lambda pk: None)
    host = make_user("host")
    meeting = make_meeting(host, recording_announced=True)
    get_backend().create_room(meeting=meeting)
    session = recording_services.start_recording(meeting=meeting, by=host)
    raw = RawRecording.objects.get(session=session)
    file = raw_dir / raw.location / "videoroom-1-user-1-1700000000000000-audio-0.mjr"
    file.write_bytes(b"MJR00002" + b"\0" * 64)

    # while the meeting runs, a running recording is never touched, however long it runs
    purge_category(identifier="raw_recordings", at=now() + datetime.timedelta(days=30))
    assert file.exists()

    # the portal died: the meeting was ended later (a sweep), the stop never reached Janus
    ended = now()
    type(meeting).objects.filter(pk=meeting.pk).update(status="ended", ended_at=ended)
    purge_category(identifier="raw_recordings", at=ended + datetime.timedelta(days=1))
    assert file.exists()
    purge_category(identifier="raw_recordings", at=ended + datetime.timedelta(days=2))
    assert not file.exists()
    assert not RawRecording.objects.filter(pk=raw.pk).exists()

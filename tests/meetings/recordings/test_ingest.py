"""Ingest of recordings: the host's web upload and the backends' API endpoint."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings.recordings.models import Recording
from tests.factories import MP4_HEAD, make_meeting, make_user, start_recording

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]

TOKEN = "backend-token-0123456789"
WEBM_HEAD = b"\x1a\x45\xdf\xa3" + b"\x00" * 28


@pytest.fixture
def session():
    meeting = make_meeting(make_user("host"))
    return start_recording(meeting)


@pytest.fixture
def api(client, settings):
    settings.RECORDING_INGEST_TOKENS = [TOKEN]

    def post(session_id, body: bytes, content_type="video/mp4", token=TOKEN):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return client.post(
            f"/meetings/api/recordings/ingest/?session={session_id}",
            data=body,
            content_type=content_type,
            **headers,
        )

    return post


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, session, name, content, content_type):
    return client.post(
        f"/meetings/{session.meeting.meeting_id}/recordings/",
        {"session": session.pk, "file": SimpleUploadedFile(name, content, content_type)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


# web upload ----------------------------------------------------------------------------------
def test_the_host_uploads_a_recording_with_its_checksum(client, session, recordings_storage):
    content = MP4_HEAD + b"x" * 5000
    client.force_login(session.meeting.host)

    response = upload(client, session, "lecture.mp4", content, "video/mp4")

    recording = Recording.objects.get()
    assert response.status_code == 302
    assert response["Location"] == recording.get_absolute_url()
    assert recording.sha256 == hashlib.sha256(content).hexdigest()
    assert recording.size == len(content)
    assert recording.uploaded_by == session.meeting.host
    assert recording.source == "web"
    assert (recordings_storage / recording.file.name).read_bytes() == content
    assert "lecture" not in recording.file.name  # stored names reveal nothing


def test_it_refuses_a_file_of_the_wrong_type(client, session, recordings_storage):
    client.force_login(session.meeting.host)
    response = upload(client, session, "notes.pdf", b"%PDF-1.7 ...", "application/pdf")
    assert response.status_code == 400
    assert "Recordings must be MP4 or WebM video" in response.content.decode()
    assert not Recording.objects.exists()
    assert stored_files(recordings_storage) == []


def test_it_refuses_a_file_whose_content_does_not_match_its_type(
    client,
    session,
    recordings_storage,
):
    client.force_login(session.meeting.host)
    response = upload(client, session, "fake.mp4", b"MZ\x90\x00 an executable" * 10, "video/mp4")
    assert response.status_code == 400
    assert "does not match its type video/mp4" in response.content.decode()
    assert not Recording.objects.exists()
    assert stored_files(recordings_storage) == []


def test_it_refuses_a_file_over_the_size_limit(client, session, settings, recordings_storage):
    settings.RECORDING_MAX_UPLOAD_BYTES = 1024
    client.force_login(session.meeting.host)
    response = upload(client, session, "long.webm", WEBM_HEAD + b"x" * 2048, "video/webm")
    assert response.status_code == 400
    assert "larger than the limit" in response.content.decode()
    assert not Recording.objects.exists()
    assert stored_files(recordings_storage) == []


def test_it_refuses_an_upload_without_a_recording_session(client):
    meeting = make_meeting(make_user("host"))
    client.force_login(meeting.host)
    response = client.post(
        f"/meetings/{meeting.meeting_id}/recordings/",
        {"file": SimpleUploadedFile("a.mp4", MP4_HEAD, "video/mp4")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not Recording.objects.exists()


def test_it_refuses_a_session_of_another_meeting(client, session):
    other = make_meeting(session.meeting.host)
    client.force_login(other.host)
    response = client.post(
        f"/meetings/{other.meeting_id}/recordings/",
        {"session": session.pk, "file": SimpleUploadedFile("a.mp4", MP4_HEAD, "video/mp4")},
    )
    assert response.status_code == 400
    assert not Recording.objects.exists()


def test_it_lists_the_recordings_for_the_host(client, session):
    client.force_login(session.meeting.host)
    upload(client, session, "a.mp4", MP4_HEAD + b"abc", "video/mp4")
    body = client.get(f"/meetings/{session.meeting.meeting_id}/recordings/").content.decode()
    assert Recording.objects.get().get_absolute_url() in body


# backend API ---------------------------------------------------------------------------------
def test_the_api_stores_a_delivered_recording(api, session, recordings_storage):
    content = WEBM_HEAD + b"y" * 3 * 1024 * 1024  # several chunks

    response = api(session.pk, content, content_type="video/webm")

    recording = Recording.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "recording": recording.pk,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert recording.source == "backend"
    assert recording.uploaded_by is None
    assert (recordings_storage / recording.file.name).read_bytes() == content


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_the_api_refuses_a_backend_without_the_token(api, session, token):
    response = api(session.pk, MP4_HEAD, token=token)
    assert response.status_code == 401
    assert not Recording.objects.exists()


def test_the_api_refuses_everyone_when_no_token_is_configured(api, session, settings):
    settings.RECORDING_INGEST_TOKENS = []
    assert api(session.pk, MP4_HEAD).status_code == 401


def test_the_api_refuses_an_unknown_session(api):
    assert api(999999, MP4_HEAD).status_code == 404
    assert api("abc", MP4_HEAD).status_code == 404
    assert not Recording.objects.exists()


def test_the_api_refuses_a_wrong_type(api, session, recordings_storage):
    response = api(session.pk, b"GIF89a....", content_type="image/gif")
    assert response.status_code == 415
    assert not Recording.objects.exists()
    assert stored_files(recordings_storage) == []


def test_the_api_refuses_content_that_does_not_match(api, session, recordings_storage):
    response = api(session.pk, b"<html>not a video</html>", content_type="video/mp4")
    assert response.status_code == 415
    assert stored_files(recordings_storage) == []


def test_the_api_refuses_a_body_over_the_limit(api, session, settings, recordings_storage):
    settings.RECORDING_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    response = api(session.pk, MP4_HEAD + b"z" * 3 * 1024 * 1024)
    assert response.status_code == 413
    assert not Recording.objects.exists()
    assert stored_files(recordings_storage) == []


def test_the_api_rejects_get(client):
    assert client.get("/meetings/api/recordings/ingest/").status_code == 405

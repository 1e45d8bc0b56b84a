"""Recording through Janus with real browsers (fake camera and microphone): nothing is
recorded without everyone's consent; with it, N seconds give one WebM of N ± 1 s; a
withdrawal stops the recording at once."""

from pathlib import Path

import pytest
from django.test import Client
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.backends.janus_mix import probe
from meetings.live import services as services_live
from meetings.recordings import services as recording_services
from meetings.recordings.models import Recording, RecordingSession
from meetings.recordings.tasks import convert_backend_recording
from tests.factories import admit, decide, make_meeting, make_user, published_text
from tests.meetings.live.asgi_server import start_asgi_server
from tests.meetings.live.test_media_browser import MEDIA, wait_for_frames

pytestmark = [
    pytest.mark.browser,
    pytest.mark.janus,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("recordings_storage"),
]
SECONDS = 4


@pytest.fixture
def media_server(transactional_db, janus, settings):
    settings.LANGUAGE_CODE = "en"
    running = start_asgi_server(env={**janus.env(), "REDIS_URL": "", "LANGUAGE_CODE": "en"})
    yield running
    running.stop()


def in_room(new_page, server, user, meeting):
    client = Client()
    client.force_login(user)
    page = new_page(permissions=MEDIA)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    page.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    expect(page.locator("#media-grid")).to_be_visible()
    return page


def raw_files(janus) -> list[Path]:
    return list(Path(janus.recordings_dir).rglob("*.mjr"))


def two_in_a_room(new_page, server, *, consent: bool):
    host = make_user("host", first_name="Hanna")
    meeting = make_meeting(host, recording_announced=True)
    services_live.host_enters(meeting=meeting, user=host)
    anna = make_user("anna", first_name="Anna")
    participant = admit(meeting, anna, name="Anna A.", admitted_at=now())
    decision = decide(participant, published_text()) if consent else None
    host_page = in_room(new_page, server, host, meeting)
    anna_page = in_room(new_page, server, anna, meeting)
    host_feed = str(services_live.Participant.objects.get(meeting=meeting, user=host).pk)
    wait_for_frames(host_page, {str(participant.pk)})
    wait_for_frames(anna_page, {host_feed})
    return meeting, host, host_page, anna_page, decision


def test_nothing_is_recorded_while_someone_without_consent_is_in_the_room(
    new_page,
    media_server,
    janus,
):
    meeting, host, host_page, _anna_page, _ = two_in_a_room(new_page, media_server, consent=False)
    with pytest.raises(recording_services.RecordingNotAllowed):
        recording_services.start_recording(meeting=meeting, by=host)
    host_page.wait_for_timeout(1000)  # media keep flowing; Janus must still write nothing
    assert raw_files(janus) == []
    assert not RecordingSession.objects.filter(meeting=meeting).exists()


def test_with_every_consent_n_seconds_give_one_webm(
    new_page,
    media_server,
    janus,
    monkeypatch,
):
    meeting, host, host_page, _anna_page, _ = two_in_a_room(new_page, media_server, consent=True)
    # the conversion runs here (a Celery worker's job), not in the server process
    monkeypatch.setattr(
        recording_services,
        "_queue_conversion",
        lambda pk: convert_backend_recording.apply(args=[pk]),
    )
    session = recording_services.start_recording(meeting=meeting, by=host)
    assert session.backend_ref
    host_page.wait_for_timeout(SECONDS * 1000)  # the length of the recording itself
    assert raw_files(janus)
    recording_services.stop_recording(meeting=meeting, by=host)

    recording = Recording.objects.get(session=session)
    assert recording.content_type == "video/webm" and recording.source == "backend"
    info = probe(Path(recording.file.path))
    kinds = sorted(stream["codec_type"] for stream in info["streams"])
    assert kinds == ["audio", "video"]
    assert abs(float(info["format"]["duration"]) - SECONDS) <= 1
    video = next(stream for stream in info["streams"] if stream["codec_type"] == "video")
    assert int(video["width"]) == 640  # two tiles side by side: host and Anna
    assert raw_files(janus) == []  # the raw files are gone
    session.refresh_from_db()
    assert session.conversion == RecordingSession.Conversion.STORED


def test_a_withdrawal_during_the_recording_stops_it_and_tells_the_host(
    new_page,
    media_server,
    janus,
):
    meeting, host, host_page, anna_page, decision = two_in_a_room(
        new_page, media_server, consent=True
    )
    host_page.click("#recording-console-link")
    host_page.get_by_role("button", name="Start recording").click()
    host_page.goto(f"{media_server.url}/meetings/live/{meeting.meeting_id}/")
    expect(host_page.locator("#room-recording")).to_have_attribute("data-running", "true")
    session = RecordingSession.objects.get(meeting=meeting)
    assert session.backend_ref

    anna_page.goto(f"{media_server.url}/consent/")
    anna_page.get_by_role("button", name="Withdraw").first.click()

    expect(host_page.locator("#room-recording")).to_have_attribute("data-running", "false")
    expect(host_page.locator("#recording-notice")).to_contain_text("withdrew their consent")
    session.refresh_from_db()
    assert session.stop_reason == RecordingSession.StopReason.CONSENT_WITHDRAWN
    assert session.deletion_due_at is not None
    for recording in Recording.objects.filter(session=session):
        assert recording.deletion_due_at == session.deletion_due_at

"""Admission, removal and recording on Zoom: only who the portal admits gets a link of their
own; recording starts at Zoom only after the consent gate; a cloud recording is imported only
with everyone's consent and deleted at Zoom in every case."""

import datetime
import json

import pytest
from django.utils.timezone import now

from consent.services import withdraw_consent
from meetings.backends import get_backend
from meetings.backends.zoom.models import (
    SyncState,
    ZoomCloudRecording,
    ZoomMeeting,
    ZoomWebhookEvent,
)
from meetings.live import services as live
from meetings.live.models import AttendanceRecord
from meetings.recordings.models import Recording
from meetings.recordings.services import RecordingNotAllowed, start_recording, stop_recording
from meetings.scheduling import services as scheduling
from meetings.scheduling.models import Meeting
from portal.identity.models import AuditEvent, Role, User
from tests.factories import decide, published_text
from tests.meetings.backends.conftest import deliver

pytestmark = pytest.mark.django_db
JOINED, LEFT = "meeting.participant_joined", "meeting.participant_left"


@pytest.fixture
def running(zoom, zoom_host, commit):
    """A Zoom-secured meeting the host has opened, and a member waiting to be admitted."""
    with commit():
        meeting = scheduling.schedule_meeting(
            host=zoom_host,
            details=scheduling.MeetingDetails(
                topic="Seminar",
                description="",
                start=now() + datetime.timedelta(minutes=10),
                duration_minutes=60,
                timezone="Europe/Berlin",
                expected_participants=20,
                security={},
            ),
        )
    assert ZoomMeeting.objects.get(meeting=meeting).is_secured
    number = ZoomMeeting.objects.get(meeting=meeting).zoom_meeting_id
    Meeting.objects.filter(pk=meeting.pk).update(recording_announced=True)
    with commit():
        host = live.host_enters(meeting=meeting, user=zoom_host)
    zoom.call(f"meetings/{number}/start")  # the host opened Zoom with the start link
    member = User.objects.create_user(
        "mia",
        email="mia@uni.example",
        role=Role.objects.get(slug="student"),
        is_institution_member=True,
    )
    meeting.refresh_from_db()
    with commit():
        joined = live.join_meeting(
            meeting=meeting, user=member, passcode=meeting.passcode, display_name="Mia"
        )
    return {"meeting": meeting, "host": host, "member": joined.participant, "number": number}


def registrants(zoom, number) -> list[dict]:
    return list(zoom.state()["registrants"].get(str(number), {}).values())


def test_only_the_admitted_get_a_personal_link_and_removal_cancels_it(zoom, running, commit):
    meeting, member = running["meeting"], running["member"]
    backend = get_backend()
    assert member.state == "waiting"
    assert backend.join_url(meeting=meeting, participant=member) is None
    assert registrants(zoom, running["number"]) == []  # waiting: nothing at Zoom yet

    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    [registrant] = registrants(zoom, running["number"])
    assert registrant["status"] == "approved"
    assert registrant["email"] == "mia@uni.example"
    link = backend.join_url(meeting=meeting, participant=member)
    assert link == registrant["join_url"]
    assert backend.join_url(meeting=meeting, participant=running["host"]).startswith(
        "https://double.zoom.invalid/s/"
    )

    with commit():
        live.remove_participant(actor=running["host"], participant_pk=member.pk)
    [registrant] = registrants(zoom, running["number"])
    assert registrant["status"] == "denied"
    assert backend.join_url(meeting=meeting, participant=member) is None


def test_recording_without_consent_is_refused_before_zoom_is_asked(zoom, running, commit):
    meeting, member = running["meeting"], running["member"]
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    published_text()
    with pytest.raises(RecordingNotAllowed) as refused:
        start_recording(meeting=meeting, by=meeting.host)
    assert refused.value.reason == "consent_missing"
    assert zoom.state()["live_events"] == []


def test_recording_with_consent_starts_and_stops_at_zoom(zoom, running, commit):
    meeting, member = running["meeting"], running["member"]
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    decide(member, published_text())
    with commit():
        start_recording(meeting=meeting, by=meeting.host)
        stop_recording(meeting=meeting, by=meeting.host)
    methods = [event["method"] for event in zoom.state()["live_events"]]
    assert methods == ["recording.start", "recording.stop"]


def test_zoom_refusing_to_record_leaves_no_session(zoom, running, commit):
    meeting = running["meeting"]
    zoom.fault(path=r"^/live_meetings/", status=400)
    with pytest.raises(RecordingNotAllowed) as refused:
        start_recording(meeting=meeting, by=meeting.host)
    assert refused.value.reason == "backend_refused"
    assert not meeting.recording_sessions.exists()


def finish_cloud_recording(zoom, running, client, commit):  # noqa: ANN001, ANN201
    delivery = zoom.call(
        f"meetings/{running['number']}/cloud_recording",
        {
            "base_url": zoom.base,
            "recording_start": (now() - datetime.timedelta(seconds=30)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "recording_end": now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    with commit():
        assert deliver(client, delivery).status_code == 200


def test_a_cloud_recording_with_everyones_consent_is_imported_then_deleted_at_zoom(
    zoom, running, client, commit
):
    meeting, member = running["meeting"], running["member"]
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    decide(member, published_text())
    with commit():
        session = start_recording(meeting=meeting, by=meeting.host)

    finish_cloud_recording(zoom, running, client, commit)

    recording = Recording.objects.get()
    assert recording.session == session
    assert recording.source == Recording.Source.BACKEND
    assert len(recording.sha256) == 64
    assert recording.file.read().startswith(b"\x00\x00\x00\x18ftyp")
    assert zoom.state()["recordings"] == {}  # nothing left in Zoom's cloud
    cloud = ZoomCloudRecording.objects.get()
    assert (cloud.outcome, cloud.state) == ("imported", SyncState.DELETED)


def test_a_cloud_recording_without_consent_is_deleted_at_once_and_logged(
    zoom, running, client, commit
):
    # recorded at Zoom without the portal's start (no consent check): never imported
    finish_cloud_recording(zoom, running, client, commit)
    assert not Recording.objects.exists()
    assert zoom.state()["recordings"] == {}
    assert AuditEvent.objects.filter(action="zoom.recording_deleted").count() == 1
    # Zoom repeats the delivery: nothing happens twice
    delivery = zoom.state()["deliveries"][-1]
    assert deliver(client, delivery).json() == {"status": "duplicate"}


def test_a_withdrawal_deletes_what_remains_at_zoom(zoom, running, client, commit):
    meeting, member = running["meeting"], running["member"]
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    decision = decide(member, published_text())
    with commit():
        start_recording(meeting=meeting, by=meeting.host)
    # Zoom's cloud cannot be reached for the deletion after the import: the copy stays there
    zoom.fault(path=r"/recordings$", method="DELETE", status=503, count=100)
    finish_cloud_recording(zoom, running, client, commit)
    assert Recording.objects.count() == 1
    assert zoom.state()["recordings"] != {}
    assert ZoomCloudRecording.objects.get().state == SyncState.DELETING
    zoom.config(faults=[])

    with commit():
        withdraw_consent(decision=decision)

    # the copy at Zoom goes at once; the portal's own copy after the configured days
    assert zoom.state()["recordings"] == {}
    assert ZoomCloudRecording.objects.get().state == SyncState.DELETED
    assert Recording.objects.get().deletion_due_at is not None


def participant_event(zoom, number, event, registrant_id, stamp):  # noqa: ANN001, ANN201
    """A signed participant event as Zoom sends it (webhook reference: meeting.participant_*)."""
    key = "join_time" if event == "meeting.participant_joined" else "leave_time"
    person = {
        "user_id": "16778240",
        "user_name": "Mia",
        "id": "",
        "participant_uuid": "p-uuid",
        "email": "mia@uni.example",
        "registrant_id": registrant_id,
        key: stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if key == "leave_time":
        person["leave_reason"] = "left the meeting."
    body = {
        "event": event,
        "event_ts": int(stamp.timestamp() * 1000),
        "payload": {
            "account_id": "acct",
            "object": {
                "id": str(number),
                "uuid": "m-uuid",
                "host_id": "h",
                "topic": "Seminar",
                "type": 2,
                "start_time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timezone": "Europe/Berlin",
                "duration": 60,
                "participant": person,
            },
        },
    }
    return zoom.call("sign", {"body": json.dumps(body)})


def test_zoom_participant_events_write_the_attendance_list_where_it_is_required(
    zoom, running, client, commit
):
    meeting, member = running["meeting"], running["member"]
    Meeting.objects.filter(pk=meeting.pk).update(attendance_required=True)
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    [registrant] = registrants(zoom, running["number"])
    [stay] = AttendanceRecord.objects.filter(participant=member)
    assert stay.left_at is None and stay.name == "mia"  # the account's name, not "Mia"

    left = now().replace(microsecond=0) + datetime.timedelta(minutes=5)
    with commit():
        deliver(client, participant_event(zoom, running["number"], LEFT, registrant["id"], left))
    stay.refresh_from_db()
    assert stay.left_at == left
    back = left + datetime.timedelta(minutes=2)
    with commit():
        deliver(client, participant_event(zoom, running["number"], JOINED, registrant["id"], back))
    assert list(
        AttendanceRecord.objects.filter(participant=member).values_list("joined_at", "left_at")
    ) == [(stay.joined_at, left), (back, None)]
    # someone at Zoom the portal did not admit is not put on the list by this path
    with commit():
        deliver(client, participant_event(zoom, running["number"], JOINED, "unknown", back))
    assert AttendanceRecord.objects.filter(meeting=meeting).count() == 2
    # nothing of the deliveries is kept once handled
    assert not ZoomWebhookEvent.objects.exclude(payload={}).exists()


def test_zoom_participant_events_are_not_kept_where_attendance_is_not_required(
    zoom, running, client, commit
):
    meeting, member = running["meeting"], running["member"]
    with commit():
        live.admit_participants(actor=running["host"], participant_pks=[member.pk])
    [registrant] = registrants(zoom, running["number"])
    response = deliver(
        client, participant_event(zoom, running["number"], JOINED, registrant["id"], now())
    )
    assert response.json() == {"status": "ignored"}
    assert not AttendanceRecord.objects.filter(meeting=meeting).exists()
    assert not ZoomWebhookEvent.objects.exists()

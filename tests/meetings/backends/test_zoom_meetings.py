"""Meetings on Zoom: created, updated and deleted with the policy locked; drift put back;
failures retried; nothing reported as secured before Zoom confirmed it."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.backends.zoom.models import SyncState, ZoomMeeting
from meetings.scheduling import services as scheduling
from meetings.scheduling.models import Meeting
from portal.identity.models import AuditEvent
from tests.meetings.backends.conftest import deliver

pytestmark = pytest.mark.django_db


def details(**overrides):
    values = {
        "topic": "Seminar",
        "description": "",
        "start": now() + datetime.timedelta(days=3),
        "duration_minutes": 60,
        "timezone": "Europe/Berlin",
        "expected_participants": 20,
        "security": {},
    }
    values.update(overrides)
    return scheduling.MeetingDetails(**values)


def schedule(host, commit, **overrides) -> Meeting:
    with commit():
        return scheduling.schedule_meeting(host=host, details=details(**overrides))


def zoom_meeting_of(zoom, meeting):
    number = ZoomMeeting.objects.get(meeting=meeting).zoom_meeting_id
    return next(m for m in zoom.state()["meetings"] if m["id"] == number)


def test_scheduling_creates_the_zoom_meeting_with_the_policy_locked(zoom, zoom_host, commit):
    meeting = schedule(zoom_host, commit)

    row = ZoomMeeting.objects.get(meeting=meeting)
    assert row.is_secured
    at_zoom = zoom_meeting_of(zoom, meeting)
    assert at_zoom["password"] == meeting.passcode
    assert at_zoom["host_email"] == "lecturer@uni.example"
    settings = at_zoom["settings"]
    assert settings["waiting_room"] is True
    assert settings["join_before_host"] is False
    assert settings["approval_type"] == 1  # the portal approves whom it admits
    assert settings["auto_recording"] == "none"
    assert settings["meeting_authentication"] is True
    assert settings["authentication_domains"] == "uni.example"
    # the host was pre-provisioned as an SSO user with a Licensed seat
    user = next(u for u in zoom.state()["users"] if u["email"] == "lecturer@uni.example")
    assert user["type"] == 2
    assert any(entry["body"]["action"] == "ssoCreate" for entry in zoom.requests("POST", "/users"))


def test_editing_updates_and_deleting_deletes_at_zoom(zoom, zoom_host, commit):
    meeting = schedule(zoom_host, commit)
    number = ZoomMeeting.objects.get(meeting=meeting).zoom_meeting_id

    with commit():
        scheduling.update_meeting(
            meeting=meeting, details=details(topic="Moved", duration_minutes=45)
        )
    assert zoom_meeting_of(zoom, meeting)["duration"] == 45
    assert ZoomMeeting.objects.get(meeting=meeting).is_secured

    with commit():
        scheduling.delete_meeting(meeting=meeting)
    assert all(m["id"] != number for m in zoom.state()["meetings"])
    assert ZoomMeeting.objects.get(zoom_meeting_id=number).state == SyncState.DELETED


def test_a_change_made_in_zoom_that_breaks_the_policy_is_put_back_and_audited(
    zoom, zoom_host, commit, client
):
    meeting = schedule(zoom_host, commit)
    number = ZoomMeeting.objects.get(meeting=meeting).zoom_meeting_id

    delivery = zoom.call(
        f"meetings/{number}/tamper",
        {"settings": {"waiting_room": False, "auto_recording": "cloud"}},
    )
    with commit():
        response = deliver(client, delivery)

    assert response.status_code == 200
    settings = zoom_meeting_of(zoom, meeting)["settings"]
    assert settings["waiting_room"] is True
    assert settings["auto_recording"] == "none"
    event = AuditEvent.objects.get(action="zoom.policy_restored")
    assert sorted(event.details["fields"]) == ["auto_recording", "waiting_room"]
    assert ZoomMeeting.objects.get(meeting=meeting).is_secured


def test_rate_limits_and_server_errors_are_retried_until_zoom_confirms(zoom, zoom_host, commit):
    zoom.fault(path=r"/users/[^/]+/meetings$", method="POST", status=429, count=2, retry_after=0)
    zoom.fault(path=r"/users/[^/]+/meetings$", method="POST", status=503, count=1)

    meeting = schedule(zoom_host, commit)

    attempts = zoom.requests("POST", "/meetings")
    assert [a["status"] for a in attempts] == [429, 429, 503, 201]
    assert ZoomMeeting.objects.get(meeting=meeting).is_secured


def test_a_create_whose_answer_was_lost_is_found_again_not_repeated(zoom, zoom_host, commit):
    # Zoom creates the meeting, the answer never arrives (a gateway timeout)
    zoom.fault(path=r"/users/[^/]+/meetings$", method="POST", status=504, after=True)

    meeting = schedule(zoom_host, commit)

    assert [a["status"] for a in zoom.requests("POST", "/meetings")] == [504]
    [created] = zoom.state()["meetings"]
    row = ZoomMeeting.objects.get(meeting=meeting)
    assert row.zoom_meeting_id == created["id"]
    assert row.is_secured
    assert created["agenda"] == f"Portal: {meeting.meeting_id}"


def test_a_meeting_is_not_reported_secured_while_zoom_is_unreachable(
    zoom, zoom_host, commit, client
):
    zoom.fault(path=r"/users/[^/]+/meetings$", status=503, count=50)

    with pytest.raises(Exception):  # noqa: B017 - the task gave up after its retries
        schedule(zoom_host, commit)
    meeting = Meeting.objects.get()
    row = ZoomMeeting.objects.get(meeting=meeting)
    assert not row.is_secured
    assert row.state == SyncState.PENDING
    assert "503" in row.last_error

    client.force_login(zoom_host)
    page = client.get(f"/meetings/{meeting.meeting_id}/").content.decode()
    assert "waiting for Zoom to confirm" in page


def test_a_passcode_zoom_cannot_take_is_refused_plainly(zoom, zoom_host, commit):
    with commit():
        meeting = scheduling.schedule_meeting(
            host=zoom_host, details=details(), passcode="Lange-Tulpe-4711"
        )
    row = ZoomMeeting.objects.get(meeting=meeting)
    assert row.state == SyncState.FAILED
    assert "10" in row.last_error
    assert zoom.requests("POST", "/meetings") == []


def test_the_token_is_cached_across_calls(zoom, zoom_host, commit):
    schedule(zoom_host, commit)
    schedule(zoom_host, commit)
    assert zoom.state()["tokens_issued"] == 1

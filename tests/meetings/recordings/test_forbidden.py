"""An administrator forbids recording institution-wide or per role: the controls are hidden,
the announcement is fixed off, and the start is refused by the server (docs/POLICY.md,
recording)."""

import pytest

from meetings.recordings.models import RecordingSession
from meetings.recordings.services import RecordingNotAllowed, start_recording
from meetings.scheduling import services as scheduling
from meetings.scheduling.forms import MeetingForm
from meetings.scheduling.models import Meeting, MeetingPolicy
from portal.identity.models import LicenceType, Role
from tests.factories import make_meeting, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    licence = LicenceType.objects.create(slug="staff", name="Staff", max_participants=300)
    return (
        Role.objects.create(slug="staff", name="Staff", licence_type=licence, may_host=True),
        Role.objects.create(slug="lecturer", name="Lecturer", licence_type=licence, may_host=True),
    )


def forbid(*, everyone: bool = False, roles: tuple = (), reason: str = "") -> None:
    policy = MeetingPolicy.current()
    policy.recording_forbidden = everyone
    policy.recording_forbidden_reason = reason
    policy.save()
    policy.recording_forbidden_roles.set(roles)


def running(meeting: Meeting) -> Meeting:
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.RUNNING)
    meeting.refresh_from_db()
    return meeting


def test_forbidding_recording_hides_the_controls_and_refuses_the_start(client, roles):
    forbid(everyone=True, reason="Recording needs the works council's approval.")
    meeting = running(make_meeting(make_user("host", role=roles[0]), recording_announced=True))
    client.force_login(meeting.host)
    from meetings.live.services import host_enters

    host_enters(meeting=meeting, user=meeting.host)

    room = client.get(f"/meetings/live/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert room.status_code == 200
    assert 'id="host-console"' in room.content.decode() or "Host controls" in room.content.decode()
    assert "recording-console-link" not in room.content.decode()
    console = client.get(
        f"/meetings/{meeting.meeting_id}/recording/console/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Start recording" not in console
    assert "works council" in console

    response = client.post(
        f"/meetings/{meeting.meeting_id}/recording/start/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Recording cannot start: Recording needs the works council" in response.content.decode()
    with pytest.raises(RecordingNotAllowed) as refused:
        start_recording(meeting=meeting, by=meeting.host)
    assert refused.value.reason == "forbidden"
    assert not RecordingSession.objects.exists()


def test_forbidding_recording_for_a_role_leaves_the_other_roles_alone(roles):
    staff, lecturer = roles
    forbid(roles=(staff,))
    refused_meeting = running(
        make_meeting(make_user("clerk", role=staff), recording_announced=True)
    )
    allowed_meeting = running(
        make_meeting(make_user("prof", role=lecturer), recording_announced=True)
    )

    with pytest.raises(RecordingNotAllowed) as refused:
        start_recording(meeting=refused_meeting, by=refused_meeting.host)
    assert refused.value.reason == "forbidden"
    assert start_recording(meeting=allowed_meeting, by=allowed_meeting.host).meeting_id == (
        allowed_meeting.pk
    )


def test_where_recording_is_forbidden_no_recording_can_be_announced(roles):
    staff, _lecturer = roles
    forbid(roles=(staff,), reason="Not for administrative meetings.")
    host = make_user("clerk", role=staff)

    form = MeetingForm(host=host)
    assert form.fields["recording_announced"].disabled
    assert "recording_announced" in form.locked_settings
    assert form.lock_reasons["recording_announced"] == "Not for administrative meetings."

    meeting = make_meeting(host)
    details = scheduling.MeetingDetails(
        topic=meeting.topic,
        description="",
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        timezone=meeting.timezone,
        expected_participants=None,
        security={"recording_announced": True},
    )
    scheduling.update_meeting(meeting=meeting, details=details)  # as a crafted POST would
    meeting.refresh_from_db()
    assert meeting.recording_announced is False

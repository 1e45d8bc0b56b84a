import pytest

from meetings.scheduling.models import Meeting, MeetingPolicy
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from tests.meetings.conftest import form_data

pytestmark = pytest.mark.django_db

EXPECTED_DEFAULTS = {
    "waiting_room": True,
    "authenticated_only": True,
    "join_before_host": False,
    "recording_announced": False,
    "chat_stored": False,
    "attendance_required": False,
    "polls_announced": False,
}


def test_the_policy_defaults_follow_the_policy_table():
    policy = MeetingPolicy.current()
    assert policy.defaults() == EXPECTED_DEFAULTS
    assert policy.minimum_passcode_length == 8
    assert not any(policy.is_locked(name) for name in SECURITY_SETTINGS)


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_the_form_starts_from_each_policy_default(host_client, name):
    policy = MeetingPolicy.current()
    setattr(policy, name, not EXPECTED_DEFAULTS[name])
    policy.save()
    body = host_client.get("/meetings/new/").content.decode()
    checkbox = (
        body.split(f'name="{name}"')[0].rsplit("<input", 1)[1]
        + body.split(f'name="{name}"')[1].split(">")[0]
    )
    assert ("checked" in checkbox) is (not EXPECTED_DEFAULTS[name])


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_the_host_may_change_each_unlocked_setting(host_client, name):
    data = form_data()
    for setting in SECURITY_SETTINGS:
        data.pop(setting, None)
        if setting != name and EXPECTED_DEFAULTS[setting]:
            data[setting] = "on"
    if not EXPECTED_DEFAULTS[name]:
        data[name] = "on"
    host_client.post("/meetings/new/", data)
    meeting = Meeting.objects.get()
    assert getattr(meeting, name) is (not EXPECTED_DEFAULTS[name])


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_a_locked_setting_wins_over_a_crafted_post(host_client, name):
    policy = MeetingPolicy.current()
    setattr(policy, f"{name}_locked", True)
    setattr(policy, f"{name}_reason", "Rule 7 of the IT regulations")
    policy.save()
    data = form_data()
    data.pop(name, None)
    if not EXPECTED_DEFAULTS[name]:
        data[name] = "on"  # try to flip it
    response = host_client.post("/meetings/new/", data)
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert getattr(meeting, name) is EXPECTED_DEFAULTS[name]


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_the_form_shows_a_locked_setting_as_fixed_with_the_reason(host_client, name):
    policy = MeetingPolicy.current()
    setattr(policy, f"{name}_locked", True)
    setattr(policy, f"{name}_reason", "Rule 7 of the IT regulations")
    policy.save()
    body = host_client.get("/meetings/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    field = body.split(f'name="{name}"')[1].split(">")[0] + body.split(f'name="{name}"')[0][-80:]
    assert "disabled" in field
    assert "Settings fixed by the institution" in body
    assert "Fixed by the institution: Rule 7 of the IT regulations" in body


def test_a_lock_also_holds_when_editing(host_client, meeting):
    policy = MeetingPolicy.current()
    policy.waiting_room_locked = True
    policy.save()
    data = form_data()
    data.pop("waiting_room")
    host_client.post(f"/meetings/{meeting.meeting_id}/edit/", data)
    meeting.refresh_from_db()
    assert meeting.waiting_room is True


def test_a_lock_is_enforced_by_the_service_too(host):
    from meetings.scheduling import services
    from tests.meetings.conftest import details

    policy = MeetingPolicy.current()
    policy.join_before_host_locked = True
    policy.save()
    meeting = services.schedule_meeting(
        host=host, details=details(security={"join_before_host": True})
    )
    assert meeting.join_before_host is False


def test_the_policy_is_a_single_row_edited_in_the_admin(admin_client):
    MeetingPolicy.current()
    response = admin_client.post(
        "/admin/meetings/meetingpolicy/1/change/",
        {
            "waiting_room": "on",
            "waiting_room_locked": "on",
            "waiting_room_reason": "Data protection officer",
            "authenticated_only": "on",
            "minimum_passcode_length": "10",
        },
    )
    assert response.status_code == 302
    policy = MeetingPolicy.current()
    assert policy.waiting_room_locked
    assert policy.minimum_passcode_length == 10
    assert MeetingPolicy.objects.count() == 1
    assert admin_client.get("/admin/meetings/meetingpolicy/add/").status_code == 403


def test_the_meeting_page_marks_locked_settings(host_client, meeting):
    policy = MeetingPolicy.current()
    policy.authenticated_only_locked = True
    policy.save()
    body = host_client.get(f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert body.content.decode().count("fixed by the institution") == 1

"""Legal holds are entered by what an administrator sees (meeting ID, user name, recording,
series), from the object's own admin page too; a name that matches nothing is refused; the
holds page shows what each hold keeps (docs/POLICY.md, retention)."""

import datetime

import pytest
from django.test import Client

from meetings.recordings.models import Recording
from meetings.recordings.services import schedule_recording_deletion
from meetings.scheduling.models import Meeting, MeetingSeries
from retention.models import LegalHold
from retention.services import purge_category
from tests.factories import make_meeting, make_recording, make_user, pass_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


@pytest.fixture
def admin_client(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pass_second_factor(client, admin_user)  # the admin requires it of superusers
    return client


@pytest.fixture
def recording():
    meeting = make_meeting(make_user("host"), status=Meeting.Status.ENDED)
    recording = make_recording(meeting)
    schedule_recording_deletion(
        recording=recording,
        due_at=recording.created_at - datetime.timedelta(days=1),
        reason="consent withdrawn",
    )
    return recording


def add_hold(client, held_object, reason="court order 4 O 12/26"):
    return client.post(
        "/admin/retention/legalhold/add/", {"held_object": held_object, "reason": reason}
    )


@pytest.mark.parametrize("form", ["meeting:{id}", "{id}", "meetings.meeting:{id}", "Meeting: {id}"])
def test_a_hold_by_the_meeting_id_users_see_keeps_its_recordings(admin_client, recording, form):
    meeting = recording.meeting
    response = add_hold(admin_client, form.format(id=meeting.meeting_id))

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.reference == f"meetings.meeting:{meeting.pk}"
    assert hold.entered_as == f"meeting:{meeting.meeting_id}"
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_a_name_that_matches_nothing_is_refused_and_saves_nothing(admin_client, recording):
    response = add_hold(admin_client, "meetings.meeting:54597762388")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing matches “meetings.meeting:54597762388”" in body
    assert not LegalHold.objects.exists()


def test_an_unknown_kind_is_refused(admin_client):
    body = add_hold(admin_client, "invoice:17").content.decode()
    assert "is not a kind of object a legal hold can keep" in body
    assert not LegalHold.objects.exists()


def test_a_hold_on_a_user_keeps_the_recordings_of_meetings_they_host(admin_client, recording):
    add_hold(admin_client, "user:host")
    assert LegalHold.objects.get().reference == f"portal.user:{recording.meeting.host.pk}"
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_a_hold_on_a_series_keeps_the_recordings_of_its_meetings(admin_client, recording):
    meeting = recording.meeting
    series = MeetingSeries.objects.create(
        host=meeting.host, topic="Lecture", first_start=meeting.start, frequency="weekly", count=2
    )
    Meeting.objects.filter(pk=meeting.pk).update(series=series)
    add_hold(admin_client, f"series:{series.pk}")
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_a_hold_on_the_recording_itself(admin_client, recording):
    add_hold(admin_client, f"recording:{recording.pk}")
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_the_holds_page_shows_what_each_hold_keeps(admin_client, recording):
    add_hold(admin_client, f"meeting:{recording.meeting.meeting_id}")
    body = admin_client.get("/admin/retention/legalhold/").content.decode()
    assert f"meeting {recording.meeting.meeting_id}" in body
    assert "Recordings of meetings (files and their records): 1" in body


def test_a_hold_whose_object_holds_nothing_says_so(admin_client):
    make_user("alice")
    add_hold(admin_client, "user:alice")
    body = admin_client.get("/admin/retention/legalhold/").content.decode()
    assert "Accounts of people who left or stayed inactive: 1" in body


def test_hold_this_from_the_meetings_admin_page(admin_client, recording):
    meeting = recording.meeting
    page = admin_client.get(f"/admin/meetings/meeting/{meeting.pk}/change/").content.decode()
    assert "Hold this" in page
    assert f"held_object=meeting%3A{meeting.meeting_id}" in page

    response = admin_client.post(
        "/admin/meetings/meeting/", {"action": "hold_this", "_selected_action": [meeting.pk]}
    )
    assert response.status_code == 302
    form = admin_client.get(response["Location"]).content.decode()
    assert f'value="meeting:{meeting.meeting_id}"' in form


@pytest.mark.parametrize(
    ("admin_url", "prefix"),
    [("/admin/meetings/recording/", "recording"), ("/admin/portal/user/", "user")],
)
def test_hold_this_from_recordings_and_users(admin_client, recording, admin_url, prefix):
    obj = recording if prefix == "recording" else recording.meeting.host
    response = admin_client.post(admin_url, {"action": "hold_this", "_selected_action": [obj.pk]})
    assert response.status_code == 302
    value = recording.pk if prefix == "recording" else "host"
    assert f"held_object={prefix}%3A{value}" in response["Location"]


def test_hold_this_wants_exactly_one_object(admin_client, recording):
    other = make_meeting(make_user("other"))
    response = admin_client.post(
        "/admin/meetings/meeting/",
        {"action": "hold_this", "_selected_action": [recording.meeting.pk, other.pk]},
        follow=True,
    )
    assert "Choose exactly one object" in response.content.decode()

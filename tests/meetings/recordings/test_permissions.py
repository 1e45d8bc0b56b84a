"""Object permissions on every recording URL: host, co-host, named viewer; others 404."""

import pytest
from django.utils.timezone import now

from meetings.recordings.services import grant_viewer, schedule_recording_deletion
from retention.services import purge_category
from tests.factories import grant_cohost, make_meeting, make_recording, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


@pytest.fixture
def recording():
    return make_recording(make_meeting(make_user("host")))


def urls(recording):
    meeting_id = recording.meeting.meeting_id
    return {
        "detail": ("get", f"/meetings/recordings/{recording.pk}/"),
        "download": ("get", f"/meetings/recordings/{recording.pk}/download/"),
        "viewers": ("post", f"/meetings/recordings/{recording.pk}/viewers/"),
        "list": ("get", f"/meetings/{meeting_id}/recordings/"),
        "upload": ("post", f"/meetings/{meeting_id}/recordings/"),
    }


def request(client, recording, name):
    method, url = urls(recording)[name]
    return getattr(client, method)(url, {"username": "nobody"} if method == "post" else None)


@pytest.mark.parametrize("name", ["detail", "download", "viewers", "list", "upload"])
def test_a_stranger_gets_404_everywhere(client, recording, name):
    client.force_login(make_user("stranger"))
    assert request(client, recording, name).status_code == 404


@pytest.mark.parametrize("name", ["detail", "download", "viewers", "list", "upload"])
def test_anonymous_visitors_are_sent_to_login(client, recording, name):
    response = request(client, recording, name)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["host", "cohost"])
def test_hosts_see_and_download_the_recording(client, recording, who):
    user = recording.meeting.host
    if who == "cohost":
        user = make_user("cohost")
        grant_cohost(user, recording.meeting)
    client.force_login(user)
    assert request(client, recording, "detail").status_code == 200
    assert request(client, recording, "list").status_code == 200
    response = request(client, recording, "download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, no-store"


def test_a_named_viewer_sees_and_downloads_but_manages_nothing(client, recording):
    viewer = make_user("viewer")
    grant_viewer(recording=recording, viewer=viewer)
    client.force_login(viewer)
    assert request(client, recording, "detail").status_code == 200
    assert request(client, recording, "download").status_code == 200
    assert request(client, recording, "viewers").status_code == 404
    assert request(client, recording, "list").status_code == 404
    assert request(client, recording, "upload").status_code == 404


def test_a_viewer_of_one_recording_does_not_see_another(client, recording):
    other = make_recording(recording.meeting)
    viewer = make_user("viewer")
    grant_viewer(recording=recording, viewer=viewer)
    client.force_login(viewer)
    assert client.get(f"/meetings/recordings/{other.pk}/").status_code == 404


def test_the_host_names_and_removes_a_viewer(client, recording):
    viewer = make_user("viewer")
    client.force_login(recording.meeting.host)

    client.post(f"/meetings/recordings/{recording.pk}/viewers/", {"username": "viewer"})
    assert viewer.has_perm("meetings.view_recording_file", recording)

    client.post(
        f"/meetings/recordings/{recording.pk}/viewers/", {"username": "viewer", "action": "remove"}
    )
    viewer = type(viewer).objects.get(pk=viewer.pk)  # fresh permission cache
    assert not viewer.has_perm("meetings.view_recording_file", recording)


def test_naming_an_unknown_viewer_is_refused_clearly(client, recording):
    client.force_login(recording.meeting.host)
    response = client.post(
        f"/meetings/recordings/{recording.pk}/viewers/",
        {"username": "ghost"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "There is no active user with this user name." in response.content.decode()


def test_the_viewers_url_rejects_get(client, recording):
    client.force_login(recording.meeting.host)
    assert client.get(f"/meetings/recordings/{recording.pk}/viewers/").status_code == 405


def test_a_deleted_recording_leaves_no_grant_behind(client, recording):
    viewer = make_user("viewer")
    grant_viewer(recording=recording, viewer=viewer)
    pk = recording.pk
    schedule_recording_deletion(recording=recording, due_at=now(), reason="consent withdrawn")
    purge_category(identifier="recordings")
    client.force_login(viewer)
    assert client.get(f"/meetings/recordings/{pk}/").status_code == 404
    from guardian.models import UserObjectPermission

    assert not UserObjectPermission.objects.filter(object_pk=str(pk)).exists()

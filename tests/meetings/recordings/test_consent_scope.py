"""The consent's scope binds: a recording resting on a "storage only" consent is seen by the
hosts alone; one resting on consents to publication may be shown, within their audience."""

import pytest

from consent.models import RecordingConsentBasis, Scope
from meetings.recordings.services import ViewerRefused, grant_viewer
from tests.factories import (
    admit,
    decide,
    grant_cohost,
    make_meeting,
    make_recording,
    make_user,
    published_text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


def recording_resting_on(*scopes: str):
    meeting = make_meeting(make_user("host"))
    recording = make_recording(meeting)
    for number, scope in enumerate(scopes):
        audience = "Students of the course Law 101" if scope == Scope.PUBLICATION else ""
        text = published_text(scope=scope, audience=audience)
        participant = admit(meeting, make_user(f"p{number}"))
        decision = decide(participant, text, audience=audience)
        RecordingConsentBasis.objects.create(
            session=recording.session, decision=decision, display_name=f"P{number}"
        )
    return recording


def test_a_storage_only_recording_cannot_be_shared(client):
    recording = recording_resting_on(Scope.PUBLICATION, Scope.STORAGE)
    client.force_login(recording.meeting.host)

    response = client.post(
        f"/meetings/recordings/{recording.pk}/viewers/",
        {"username": make_user("outsider").username},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "allow storage only" in response.content.decode()
    assert not make_user("someone").has_perm("meetings.view_recording_file", recording)
    with pytest.raises(ViewerRefused):
        grant_viewer(recording=recording, viewer=make_user("other"))


def test_a_grant_made_before_does_not_open_a_storage_only_recording(client):
    recording = recording_resting_on(Scope.STORAGE)
    viewer = make_user("viewer")
    from guardian.shortcuts import assign_perm

    assign_perm("meetings.view_recording_file", viewer, recording)  # e.g. granted earlier
    client.force_login(viewer)
    assert client.get(f"/meetings/recordings/{recording.pk}/").status_code == 404
    assert client.get(f"/meetings/recordings/{recording.pk}/download/").status_code == 404


def test_hosts_and_cohosts_still_see_a_storage_only_recording(client):
    recording = recording_resting_on(Scope.STORAGE)
    cohost = make_user("cohost")
    grant_cohost(cohost, recording.meeting)
    for user in (recording.meeting.host, cohost):
        client.force_login(user)
        assert client.get(f"/meetings/recordings/{recording.pk}/").status_code == 200
    page = client.get(f"/meetings/recordings/{recording.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="storage-only"' in page.content.decode()


def test_publication_is_shared_within_the_named_audience(client):
    recording = recording_resting_on(Scope.PUBLICATION)
    client.force_login(recording.meeting.host)
    page = client.get(f"/meetings/recordings/{recording.pk}/").content.decode()
    assert "Students of the course Law 101" in page

    viewer = make_user("student")
    client.post(f"/meetings/recordings/{recording.pk}/viewers/", {"username": "student"})

    client.force_login(viewer)
    assert client.get(f"/meetings/recordings/{recording.pk}/").status_code == 200

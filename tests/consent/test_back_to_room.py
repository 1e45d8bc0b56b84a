"""After deciding on consent in a running meeting, a participant is back in the room."""

import pytest

from meetings.scheduling.models import Meeting
from tests.factories import admit, make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def running():
    meeting = make_meeting(make_user("host"), recording_announced=True)
    meeting.status = Meeting.Status.RUNNING
    meeting.save()
    return meeting


@pytest.mark.parametrize("decision", ["give", "refuse"])
def test_a_member_is_sent_back_to_the_room(client, running, decision, mailoutbox):
    published_text()
    anna = make_user("anna")
    admit(running, anna)
    client.force_login(anna)
    response = client.post(f"/consent/meetings/{running.meeting_id}/", {"decision": decision})
    assert response.status_code == 302
    assert response.url == f"/meetings/live/{running.meeting_id}/"


def test_the_consent_page_leads_back_to_the_room(client, running):
    published_text()
    anna = make_user("anna")
    admit(running, anna)
    client.force_login(anna)
    body = client.get(
        f"/consent/meetings/{running.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'id="back-to-room" href="/meetings/live/{running.meeting_id}/"' in body


def test_the_host_starts_the_recording_in_the_room_and_stays_there(client, running):
    client.force_login(running.host)
    response = client.post(f"/meetings/{running.meeting_id}/recording/start/", {"back": "room"})
    assert response.status_code == 302
    assert response.url == f"/meetings/live/{running.meeting_id}/"

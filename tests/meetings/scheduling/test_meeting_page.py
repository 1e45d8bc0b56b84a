"""The meeting page: Start meeting, the invitation to copy, the join link with a copy button."""

import pytest

from meetings.scheduling.models import Meeting

pytestmark = pytest.mark.django_db


def test_the_host_starts_the_meeting_from_its_page(host_client, meeting):
    body = host_client.get(f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    body = body.content.decode()
    assert f'action="/meetings/live/{meeting.meeting_id}/start/"' in body
    assert ">Start meeting</button>" in body
    response = host_client.post(f"/meetings/live/{meeting.meeting_id}/start/")
    assert response.status_code == 302
    assert response.url == f"/meetings/live/{meeting.meeting_id}/"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING
    again = host_client.get(f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert ">Enter the meeting room</button>" in again.content.decode()


def test_an_ended_meeting_has_no_start_button(host_client, meeting):
    meeting.status = Meeting.Status.ENDED
    meeting.save()
    body = host_client.get(f"/meetings/{meeting.meeting_id}/").content.decode()
    assert 'id="start-meeting"' not in body


def test_the_page_offers_the_invitation_and_the_join_link_to_copy(host_client, meeting):
    body = host_client.get(
        f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    text = body[body.index('<pre id="invitation-text"') : body.index("</pre>")]
    assert "invites you to the online meeting" in text
    assert meeting.meeting_id in text
    assert "Raum7-Kurs-26" in text
    assert 'data-copy="invitation-text"' in body
    assert 'data-copy="meeting-join-link"' in body
    assert ">Copy invitation</button>" in body

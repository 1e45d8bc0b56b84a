"""The host console's recording fragment and the start/stop/ask-again buttons."""

import pytest

from meetings.recordings.models import RecordingSession
from tests.factories import admit, decide, grant_cohost, make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), recording_announced=True)


def console_url(meeting, action=""):
    return f"/meetings/{meeting.meeting_id}/recording/{action + '/' if action else 'console/'}"


def test_it_lists_who_has_not_consented(client, meeting):
    text = published_text()
    decide(admit(meeting, make_user("anna"), name="Anna A."), text)
    admit(meeting, make_user("ben"), name="Ben B.")
    client.force_login(meeting.host)

    body = client.get(console_url(meeting), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Ben B." in body
    assert "Anna A." not in body
    assert "Ask them again" in body
    assert "Start recording" not in body


def test_it_counts_its_queries(client, meeting, django_assert_num_queries):
    text = published_text()
    for number in range(5):
        decide(admit(meeting, make_user(f"p{number}")), text)
    client.force_login(meeting.host)
    client.get(console_url(meeting))  # warm the session and content types
    # session, user, meeting, participants, decisions, running session, the policy and the
    # roles it forbids recording
    with django_assert_num_queries(8):
        client.get(console_url(meeting), HTTP_HX_REQUEST="true")


def test_the_start_button_refuses_and_names_those_without_consent(client, meeting):
    published_text()
    admit(meeting, make_user("ben"), name="Ben B.")
    client.force_login(meeting.host)

    response = client.post(console_url(meeting, "start"), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert (
        "Recording cannot start: not everyone has consented (Ben B.)." in response.content.decode()
    )
    assert not RecordingSession.objects.filter(meeting=meeting).exists()


def test_the_start_button_starts_when_everyone_consented(client, meeting):
    decide(admit(meeting, make_user("anna")), published_text())
    client.force_login(meeting.host)

    response = client.post(console_url(meeting, "start"), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Recording started" in response.content.decode()
    assert "Stop recording" in response.content.decode()
    assert RecordingSession.objects.get(meeting=meeting).is_running


def test_a_cohost_may_start_and_stop(client, meeting):
    cohost = make_user("cohost")
    grant_cohost(cohost, meeting)
    client.force_login(cohost)

    client.post(console_url(meeting, "start"))
    session = RecordingSession.objects.get(meeting=meeting)
    assert session.started_by == cohost

    client.post(console_url(meeting, "stop"))
    session.refresh_from_db()
    assert session.stopped_at is not None


def test_the_stop_button_says_when_nothing_runs(client, meeting):
    client.force_login(meeting.host)
    response = client.post(console_url(meeting, "stop"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "No recording is running." in response.content.decode()


def test_ask_again_reaches_the_room(client, meeting, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "meetings.recordings.views.broadcast_to_meeting",
        lambda pk, event, **payload: sent.append((pk, event, payload)),
    )
    ben = admit(meeting, make_user("ben"), name="Ben B.")
    published_text()
    client.force_login(meeting.host)

    response = client.post(
        console_url(meeting, "ask-again"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "asked again" in response.content.decode()
    assert sent == [(meeting.pk, "consent.requested", {"participant_ids": [ben.pk]})]


@pytest.mark.parametrize("action", ["", "start", "stop", "ask-again"])
def test_others_get_404(client, meeting, action):
    participant = make_user("participant")
    admit(meeting, participant)
    client.force_login(participant)
    method = client.get if action == "" else client.post
    assert method(console_url(meeting, action)).status_code == 404
    assert not RecordingSession.objects.exists()


@pytest.mark.parametrize("action", ["start", "stop", "ask-again"])
def test_the_buttons_reject_get(client, meeting, action):
    client.force_login(meeting.host)
    assert client.get(console_url(meeting, action)).status_code == 405


def test_the_console_rejects_post(client, meeting):
    client.force_login(meeting.host)
    assert client.post(console_url(meeting)).status_code == 405


def test_anonymous_visitors_are_sent_to_login(client, meeting):
    response = client.get(console_url(meeting))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]

"""The host prepares a poll in the room's console (htmx) and launches it there; a poll
prepared elsewhere is announced to the hosts' consoles."""

import pytest

from meetings.live import broadcast
from meetings.polls.models import Poll
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db


def quick(client, meeting, **overrides):
    data = {
        "quick-title": "Break",
        "quick-kind": "anonymous",
        "quick-question": "Coffee now?",
        "quick-options": "Yes\nNo\n",
    }
    data.update(overrides)
    return client.post(
        f"/meetings/{meeting.meeting_id}/polls/quick/",
        data,
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_host_prepares_a_poll_in_the_room_and_sees_it_ready_to_launch(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    response = quick(client, meeting)
    body = response.content.decode()
    assert response.status_code == 200
    poll = Poll.objects.get()
    assert poll.status == Poll.Status.DRAFT
    assert poll.kind == Poll.Kind.ANONYMOUS
    question = poll.questions.get()
    assert [option.text for option in question.options.all()] == ["Yes", "No"]
    assert "Launch “Break”" in body
    assert 'id="quick-poll-form"' in body


def test_a_poll_with_one_option_is_refused_and_nothing_is_stored(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    body = quick(client, meeting, **{"quick-options": "Yes"}).content.decode()
    assert "Give at least two options, one per line." in body
    assert not Poll.objects.exists()


def test_only_hosts_prepare_polls(client):
    meeting = make_meeting()
    assert quick(client, meeting).status_code in (302, 404)
    assert not Poll.objects.exists()


def test_a_prepared_poll_is_announced_to_the_hosts(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(
        "meetings.polls.services.broadcast_to_meeting",
        lambda meeting_pk, event, **payload: sent.append((event, payload)),
    )
    from meetings.polls import services

    meeting = make_meeting()
    with django_capture_on_commit_callbacks(execute=True):
        poll = services.create_poll(meeting=meeting, title="Lunch")
    assert sent == [("poll.prepared", {"poll_id": poll.pk, "audience": broadcast.AUDIENCE_HOSTS})]

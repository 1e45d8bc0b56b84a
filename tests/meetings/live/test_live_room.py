"""The waiting page, the room page, the host's start and leaving."""

import pytest
from guardian.shortcuts import assign_perm

from meetings.live import services as services_live
from meetings.live.models import ChatMessage, Participant
from meetings.scheduling.models import Meeting
from tests.factories import PASSCODE, make_guest, make_participant

pytestmark = pytest.mark.django_db


def as_guest(client, meeting, name="Gast", state=Participant.State.WAITING):
    """``client`` browses as a guest called ``name``."""
    participant, _session = make_guest(meeting, name, state=state, session=client.session)
    return participant


def test_a_waiting_participant_sees_the_waiting_page(client, meeting):
    as_guest(client, meeting)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert response.status_code == 200
    assert b'data-kind="waiting"' in response.content
    assert b"live.js" in response.content


def test_an_admitted_participant_sees_the_room_and_where_media_would_be(client, meeting):
    as_guest(client, meeting, state=Participant.State.ADMITTED)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert response.status_code == 200
    assert b'data-kind="room"' in response.content
    assert b"media-placeholder" in response.content
    assert b"This chat is not stored" in response.content
    assert b"Host controls" not in response.content


def test_the_room_says_when_chat_is_stored(client, make_meeting):
    meeting = make_meeting(chat_stored=True)
    as_guest(client, meeting, state=Participant.State.ADMITTED)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert b"This chat is stored" in response.content


def test_the_room_shows_only_chat_meant_for_this_participant(client, meeting, host):
    actor = services_live.host_enters(meeting=meeting, user=host)
    me = as_guest(client, meeting, "Me", state=Participant.State.ADMITTED)
    other = as_guest(client.__class__(), meeting, "Other", state=Participant.State.ADMITTED)
    services_live.send_chat_message(sender=actor, text="to all")
    services_live.send_chat_message(sender=actor, text="for me", recipient_pk=me.pk)
    services_live.send_chat_message(sender=actor, text="for other", recipient_pk=other.pk)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert b"to all" in response.content and b"for me" in response.content
    assert b"for other" not in response.content
    assert ChatMessage.objects.count() == 3


def test_someone_else_gets_404_from_the_room(client, meeting):
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert response.status_code == 404


def test_an_unknown_meeting_gets_404_from_the_room(client):
    assert client.get("/meetings/live/12345678901/").status_code == 404


def test_the_room_rejects_post(client, meeting):
    as_guest(client, meeting)
    assert client.post(f"/meetings/live/{meeting.meeting_id}/").status_code == 405


def test_a_removed_participant_is_refused_the_room(client, meeting):
    as_guest(client, meeting, state=Participant.State.REMOVED)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert response.status_code == 302
    assert response.url == "/meetings/live/removed/"


def test_the_removal_page_shows_nothing_of_the_meeting(client, meeting):
    as_guest(client, meeting, state=Participant.State.REMOVED)
    response = client.get("/meetings/live/removed/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot rejoin" in body
    for trace in (meeting.topic, meeting.meeting_id, 'id="roster"', 'id="chat-log"', "chat-form"):
        assert trace not in body


def test_a_declined_participant_may_ask_again(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    as_guest(client, meeting, state=Participant.State.DECLINED)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert b"declined" in response.content
    client.post(
        f"/meetings/join/{meeting.meeting_id}/",
        {"passcode": PASSCODE, "display_name": "Gast", "age_confirmed": "on"},
    )
    assert Participant.objects.get(meeting=meeting).state == Participant.State.WAITING


def test_the_host_starts_the_meeting_and_enters_the_console(client, make_meeting, host):
    meeting = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    client.force_login(host)
    response = client.post(f"/meetings/live/{meeting.meeting_id}/start/")
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING and meeting.started_at is not None
    page = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert b"Host controls" in page.content


def test_a_co_host_may_start(client, make_meeting, member):
    meeting = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    assign_perm("meetings.host_meeting", member, meeting)
    client.force_login(member)
    assert client.post(f"/meetings/live/{meeting.meeting_id}/start/").status_code == 302
    assert Participant.objects.get(meeting=meeting, user=member).is_host


def test_another_user_cannot_start(client, make_meeting, member):
    meeting = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    client.force_login(member)
    assert client.post(f"/meetings/live/{meeting.meeting_id}/start/").status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_start_requires_login(client, meeting):
    response = client.post(f"/meetings/live/{meeting.meeting_id}/start/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_start_rejects_get(client, meeting, host):
    client.force_login(host)
    assert client.get(f"/meetings/live/{meeting.meeting_id}/start/").status_code == 405


def test_an_ended_meeting_cannot_be_started_again(client, make_meeting, host):
    meeting = make_meeting(status=Meeting.Status.ENDED)
    client.force_login(host)
    response = client.post(f"/meetings/live/{meeting.meeting_id}/start/")
    assert response.status_code == 403
    assert not Participant.objects.exists()


def test_a_guest_who_leaves_the_waiting_room_is_told_they_left(client, meeting):
    participant = as_guest(client, meeting)
    response = client.post(f"/meetings/live/{meeting.meeting_id}/leave/")
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.state == Participant.State.LEFT
    assert b"You have left" in client.get(response["Location"]).content


def test_leave_rejects_get(client, meeting):
    as_guest(client, meeting)
    assert client.get(f"/meetings/live/{meeting.meeting_id}/leave/").status_code == 405


def test_leave_by_a_stranger_is_404(client, meeting):
    assert client.post(f"/meetings/live/{meeting.meeting_id}/leave/").status_code == 404


def test_the_ended_page_says_the_meeting_has_ended(client):
    response = client.get("/meetings/live/ended/")
    assert response.status_code == 200
    assert b"The meeting has ended" in response.content


def test_the_room_page_needs_the_same_queries_for_any_number_of_participants(
    client, meeting, django_assert_num_queries
):
    as_guest(client, meeting, state=Participant.State.ADMITTED)

    def add(count):
        for _number in range(count):
            make_participant(
                meeting,
                name=f"P{Participant.objects.count()}",
                guest_key=f"k{Participant.objects.count()}",
                state=Participant.State.ADMITTED,
            )

    add(2)
    client.get(f"/meetings/live/{meeting.meeting_id}/")  # warm the caches (the IdPs' CSP sources)
    with django_assert_num_queries(
        10
    ):  # 7 for the room, 1 for the recording indicator, 2 for the poll panel
        client.get(f"/meetings/live/{meeting.meeting_id}/")
    add(20)
    with django_assert_num_queries(
        10
    ):  # 7 for the room, 1 for the recording indicator, 2 for the poll panel
        response = client.get(f"/meetings/live/{meeting.meeting_id}/")
    assert response.content.count(b'<li data-id="') == 23

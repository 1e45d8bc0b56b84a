"""A host switches the chat off or limits it to the hosts: the server refuses what the setting
does not allow, with a clear message, and the room hides or narrows the chat box
(docs/POLICY.md, chat)."""

import pytest

from meetings.live import services as services_live
from meetings.live.models import ChatMessage, Participant
from meetings.scheduling.models import Meeting
from tests.factories import make_guest, remember_guest
from tests.meetings.live.test_consumers import connect, receive_event
from tests.meetings.live.test_reconnect import run_in_own_loop


def set_chat(meeting: Meeting, chat: str) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(chat=chat)
    meeting.refresh_from_db()


@pytest.mark.django_db
def test_chat_off_refuses_every_message_and_hides_the_chat_box(client, meeting, host_participant):
    set_chat(meeting, Meeting.Chat.OFF)
    guest, _session = make_guest(meeting, "Gina", state=Participant.State.ADMITTED)

    for sender in (guest, host_participant):
        sender.refresh_from_db()
        with pytest.raises(services_live.ChatRefused) as refused:
            services_live.send_chat_message(sender=sender, text="hello")
        assert refused.value.code == "chat_off"
    assert not ChatMessage.objects.exists()

    remember_guest(guest, client.session)
    body = client.get(f"/meetings/live/{meeting.meeting_id}/").content.decode()
    assert "The host has switched the chat off." in body
    assert 'id="chat-form"' not in body


@pytest.mark.django_db
def test_chat_limited_to_the_hosts_lets_participants_write_only_to_them(
    client, meeting, host_participant
):
    set_chat(meeting, Meeting.Chat.HOSTS)
    guest, _session = make_guest(meeting, "Gina", state=Participant.State.ADMITTED)
    other, _other_session = make_guest(meeting, "Olaf", state=Participant.State.ADMITTED)
    guest.refresh_from_db()
    host_participant.refresh_from_db()

    for recipient in (None, other.pk):
        with pytest.raises(services_live.ChatRefused) as refused:
            services_live.send_chat_message(sender=guest, text="hi", recipient_pk=recipient)
        assert refused.value.code == "chat_hosts_only"
    services_live.send_chat_message(
        sender=guest, text="a question", recipient_pk=host_participant.pk
    )
    services_live.send_chat_message(sender=host_participant, text="to everyone")
    assert list(ChatMessage.objects.order_by("pk").values_list("text", flat=True)) == [
        "a question",
        "to everyone",
    ]

    remember_guest(guest, client.session)
    body = client.get(f"/meetings/live/{meeting.meeting_id}/").content.decode()
    assert "In this meeting you may write only to the hosts." in body
    assert 'data-hosts-only="true"' in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("in_process_channel_layer")
def test_the_room_socket_answers_a_refused_message_with_the_settings_reason(
    meeting, host, host_participant
):
    set_chat(meeting, Meeting.Chat.OFF)
    _guest, session = make_guest(meeting, "Gina", state=Participant.State.ADMITTED)

    async def scenario():
        room, _ = await connect(meeting, session=session)
        await receive_event(room, "state")
        await room.send_json_to({"action": "chat", "text": "hello"})
        assert (await receive_event(room, "error"))["code"] == "chat_off"
        assert await ChatMessage.objects.acount() == 0
        await room.disconnect()

    # on a loop of its own thread: a browser test earlier in this worker may hold this one's
    run_in_own_loop(scenario())

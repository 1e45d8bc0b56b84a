"""The meeting's websocket, driven with Channels' WebsocketCommunicator."""

import datetime

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.utils.timezone import now

from meetings.live import services as services_live
from meetings.live.models import ChatMessage, Participant
from meetings.routing import websocket_urlpatterns
from meetings.scheduling.models import Meeting
from tests.factories import make_guest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_channel_layer"),
]


async def connect(meeting, *, user=None, session=None):
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/meetings/{meeting.meeting_id}/"
    )
    communicator.scope["user"] = user or AnonymousUser()
    communicator.scope["session"] = session or SessionStore()
    connected, _ = await communicator.connect()
    return communicator, connected


async def receive_event(communicator, event, timeout=2):
    """The next message of the given kind (others in between are skipped)."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["event"] == event:
            return message["payload"]


async def test_a_stranger_cannot_connect(meeting):
    communicator, connected = await connect(meeting)
    assert not connected


async def test_an_unknown_meeting_refuses_the_connection(meeting, host_participant, host):
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), "/ws/meetings/10000000000/"
    )
    communicator.scope["user"] = host
    communicator.scope["session"] = SessionStore()
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_waiting_guest_is_admitted_live(meeting, host, host_participant):
    guest, session = await sync_to_async(make_guest)(meeting, "Gast")
    waiting, connected = await connect(meeting, session=session)
    assert connected
    assert (await receive_event(waiting, "state"))["state"] == "waiting"

    console, connected = await connect(meeting, user=host)
    assert connected
    snapshot = await receive_event(console, "state")
    assert [(p["name"], p["state"]) for p in snapshot["people"]["entries"]] == [
        ("Hanna Host", "admitted"),
        ("Gast", "waiting"),
    ]

    await console.send_json_to({"action": "admit", "participant": guest.pk})
    assert await receive_event(waiting, "admitted") == {}
    changes = await receive_event(console, "people")
    assert [(p["name"], p["state"]) for p in changes["entries"]] == [("Gast", "admitted")]
    assert changes["entries"][0]["v"] > snapshot["people"]["version"]
    await guest.arefresh_from_db()
    assert guest.state == Participant.State.ADMITTED
    await waiting.disconnect()
    await console.disconnect()


async def test_a_waiting_guest_hears_the_decline_and_nothing_of_the_room(
    meeting, host, host_participant
):
    guest, session = await sync_to_async(make_guest)(meeting, "Gast")
    waiting, _ = await connect(meeting, session=session)
    await receive_event(waiting, "state")
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")

    await console.send_json_to({"action": "chat", "text": "room only"})
    await receive_event(console, "chat")
    await console.send_json_to({"action": "decline", "participant": guest.pk})
    message = await waiting.receive_json_from(timeout=2)
    assert message["event"] == "declined"  # the chat never reached the waiting room
    await guest.arefresh_from_db()
    assert guest.state == Participant.State.DECLINED
    await console.disconnect()


async def test_a_participant_cannot_use_host_actions(meeting, host_participant):
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    other, _ = await sync_to_async(make_guest)(meeting, "Other")
    room, connected = await connect(meeting, session=session)
    assert connected
    await receive_event(room, "state")
    await room.send_json_to({"action": "admit", "participant": other.pk})
    assert (await receive_event(room, "error"))["code"] == "not_allowed"
    await room.send_json_to({"action": "end"})
    assert (await receive_event(room, "error"))["code"] == "not_allowed"
    await other.arefresh_from_db()
    await meeting.arefresh_from_db()
    assert other.state == Participant.State.WAITING
    assert meeting.status == Meeting.Status.RUNNING
    await room.disconnect()


async def test_a_removed_participant_is_put_out_and_cannot_reconnect(
    meeting, host, host_participant
):
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    room, _ = await connect(meeting, session=session)
    await receive_event(room, "state")
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")

    await console.send_json_to({"action": "remove", "participant": guest.pk})
    assert await receive_event(room, "removed") == {}
    assert (await room.receive_output(timeout=2))["type"] == "websocket.close"
    await guest.arefresh_from_db()
    assert guest.state == Participant.State.REMOVED

    again, connected = await connect(meeting, session=session)
    assert not connected
    await console.disconnect()


async def test_private_chat_reaches_only_sender_and_recipient(meeting, host, host_participant):
    alice, alice_session = await sync_to_async(make_guest)(
        meeting, "Alice", state=Participant.State.ADMITTED
    )
    bob, bob_session = await sync_to_async(make_guest)(
        meeting, "Bob", state=Participant.State.ADMITTED
    )
    alice_ws, _ = await connect(meeting, session=alice_session)
    bob_ws, _ = await connect(meeting, session=bob_session)
    console, _ = await connect(meeting, user=host)
    for communicator in (alice_ws, bob_ws, console):
        await receive_event(communicator, "state")

    await alice_ws.send_json_to({"action": "chat", "text": "psst", "to": host_participant.pk})
    message = (await receive_event(console, "chat"))["message"]
    assert message["private"] and message["text"] == "psst" and message["sender"] == "Alice"
    assert (await receive_event(alice_ws, "chat"))["message"]["text"] == "psst"
    await alice_ws.send_json_to({"action": "chat", "text": "hello all"})
    assert (await receive_event(bob_ws, "chat"))["message"]["text"] == "hello all"
    assert await ChatMessage.objects.acount() == 2
    for communicator in (alice_ws, bob_ws, console):
        await communicator.disconnect()


async def test_lock_and_end_reach_everyone(meeting, host, host_participant):
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    waiter, waiter_session = await sync_to_async(make_guest)(meeting, "Waiter")
    room, _ = await connect(meeting, session=session)
    waiting, _ = await connect(meeting, session=waiter_session)
    console, _ = await connect(meeting, user=host)
    for communicator in (room, waiting, console):
        await receive_event(communicator, "state")

    await console.send_json_to({"action": "lock"})
    assert (await receive_event(room, "locked"))["locked"] is True
    await meeting.arefresh_from_db()
    assert meeting.locked

    await console.send_json_to({"action": "end"})
    for communicator in (room, waiting, console):
        assert (await receive_event(communicator, "ended"))["by_time_limit"] is False
    await meeting.arefresh_from_db()
    assert meeting.status == Meeting.Status.ENDED
    assert not await Participant.objects.filter(meeting=meeting).aexists()


async def test_events_of_other_features_are_forwarded_to_the_room(meeting, host, host_participant):
    from meetings.live.broadcast import broadcast_to_meeting

    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    room, _ = await connect(meeting, session=session)
    await receive_event(room, "state")
    await sync_to_async(broadcast_to_meeting)(meeting.pk, "poll.opened", poll=7)
    assert await receive_event(room, "poll.opened") == {"poll": 7}
    await sync_to_async(broadcast_to_meeting)(
        meeting.pk, "consent.asked", participant_ids=[guest.pk], request=3
    )
    assert await receive_event(room, "consent.asked") == {"request": 3}
    await room.disconnect()


async def test_bad_messages_get_an_error_and_change_nothing(meeting, host, host_participant):
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")
    await console.send_json_to({"nothing": 1})
    assert (await receive_event(console, "error"))["code"] == "bad_request"
    await console.send_json_to({"action": "remove", "participant": "abc"})
    assert (await receive_event(console, "error"))["code"] == "bad_request"
    await console.send_json_to({"action": "fly"})
    assert (await receive_event(console, "error"))["code"] == "bad_request"
    await meeting.arefresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING
    await console.disconnect()


async def test_the_heartbeat_warns_before_a_basic_licences_time_limit(make_meeting, member):
    meeting = await sync_to_async(make_meeting)(
        host=member, started_at=now() - datetime.timedelta(minutes=37)
    )
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    room, _ = await connect(meeting, session=session)
    # connecting already checks the limit; the warning comes once
    assert (await receive_event(room, "time_warning"))["minutes_left"] == 3
    await room.send_json_to({"action": "ping"})
    assert await room.receive_nothing(timeout=0.5)
    await meeting.arefresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING
    await room.disconnect()


async def test_the_heartbeat_ends_the_meeting_at_the_time_limit(make_meeting, member):
    meeting = await sync_to_async(make_meeting)(
        host=member, started_at=now() - datetime.timedelta(minutes=39, seconds=59)
    )
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.ADMITTED
    )
    room, connected = await connect(meeting, session=session)
    assert connected
    await receive_event(room, "state")
    await sync_to_async(Meeting.objects.filter(pk=meeting.pk).update)(
        started_at=now() - datetime.timedelta(minutes=41)
    )
    await room.send_json_to({"action": "ping"})
    assert (await receive_event(room, "ended"))["by_time_limit"] is True
    await meeting.arefresh_from_db()
    assert meeting.status == Meeting.Status.ENDED


async def errors_among(communicator, count: int) -> list[str]:
    """The error codes among the next ``count`` events (each frame answers at most one)."""
    codes = []
    while not await communicator.receive_nothing(timeout=0.3):
        message = await communicator.receive_json_from(timeout=2)
        if message["event"] == "error":
            codes.append(message["payload"]["code"])
        if len(codes) >= count:
            break
    return codes


async def test_a_malformed_or_binary_frame_gets_an_error_and_the_socket_stays(
    meeting, host, host_participant
):
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")
    await console.send_to(text_data="{not json")
    assert (await receive_event(console, "error"))["code"] == "bad_request"
    await console.send_to(bytes_data=b"\x00\x01")
    assert (await receive_event(console, "error"))["code"] == "too_large"
    await console.send_json_to({"action": "lock"})
    assert (await receive_event(console, "locked"))["locked"] is True
    await console.disconnect()


async def test_an_oversized_frame_is_refused_before_it_is_parsed(meeting, host, host_participant):
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")
    await console.send_to(text_data='{"action": "chat", "text": "' + "x" * 20_000 + '"}')
    assert (await receive_event(console, "error"))["code"] == "too_large"
    assert await ChatMessage.objects.acount() == 0
    await console.disconnect()


async def test_a_flood_of_frames_is_slowed_down(meeting, host, host_participant):
    console, _ = await connect(meeting, user=host)
    await receive_event(console, "state")
    # frames the consumer answers at once (no database), so that they arrive faster than the
    # bucket refills however loaded the machine is
    for _number in range(60):
        await console.send_json_to({"nothing": 1})
    codes = await errors_among(console, 60)
    assert codes.count("bad_request") >= 20  # the burst is handled
    assert "slow_down" in codes
    await console.disconnect()


async def test_one_participant_cannot_flood_the_chat(meeting, host, host_participant):
    alice, alice_session = await sync_to_async(make_guest)(
        meeting, "Alice", state=Participant.State.ADMITTED
    )
    alice_ws, _ = await connect(meeting, session=alice_session)
    await receive_event(alice_ws, "state")
    for number in range(15):
        await alice_ws.send_json_to({"action": "chat", "text": f"spam {number}"})
    # each frame ends as a message in the room (its echo) or an error: wait for all fifteen,
    # however slowly a loaded machine stores them
    codes, echoed = [], 0
    while echoed + len(codes) < 15:
        message = await alice_ws.receive_json_from(timeout=10)
        if message["event"] == "error":
            codes.append(message["payload"]["code"])
        elif message["event"] == "chat":
            echoed += 1
    stored = await ChatMessage.objects.acount()
    assert stored == echoed
    # the burst of 10, plus at most what the bucket refilled (one a second) while it ran
    assert 10 <= stored <= 12
    assert codes.count("slow_down") == 15 - stored
    await alice_ws.disconnect()


async def test_a_participants_snapshot_lists_the_room_never_who_waits(
    meeting, host, host_participant
):
    _, session = await sync_to_async(make_guest)(meeting, "Anna", state=Participant.State.ADMITTED)
    wanda, _ = await sync_to_async(make_guest)(meeting, "Wanda")
    # twice: the second snapshot is the process' copy encoded once for this version
    for _ in range(2):
        communicator, connected = await connect(meeting, session=session)
        assert connected
        snapshot = await receive_event(communicator, "state")
        assert sorted(p["name"] for p in snapshot["people"]["entries"]) == ["Anna", "Hanna Host"]
        await communicator.disconnect()

    await sync_to_async(services_live.admit_participants)(
        actor=host_participant, participant_pks=[wanda.pk]
    )
    communicator, connected = await connect(meeting, session=session)
    snapshot = await receive_event(communicator, "state")
    assert sorted(p["name"] for p in snapshot["people"]["entries"]) == [
        "Anna",
        "Hanna Host",
        "Wanda",
    ]
    await communicator.disconnect()

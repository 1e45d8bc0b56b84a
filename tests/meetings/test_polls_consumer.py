"""The poll panel's websocket forwards the meeting's poll events to admitted participants.

Each test runs its coroutine in a thread of its own: Playwright's sync API (the session's
``browser`` fixture) keeps an event loop registered in the main thread once a browser test ran
in this worker, and pytest-asyncio cannot start another one there.
"""

import asyncio
import functools
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from meetings.live import meeting_group
from meetings.polls import services
from meetings.polls.routing import websocket_urlpatterns
from meetings.selectors_live import guest_session_key
from tests.meetings.poll_helpers import admit, admit_guest, make_meeting, make_poll, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def in_own_event_loop(test):
    @functools.wraps(test)
    def run(*args, **kwargs):
        outcome: list[BaseException] = []

        async def test_then_close_connections():
            try:
                await test(*args, **kwargs)
            finally:  # the database thread of this loop keeps its connection otherwise
                await sync_to_async(connections.close_all, thread_sensitive=True)()

        def target():
            try:
                asyncio.run(test_then_close_connections())
            except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
                outcome.append(error)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the test's event loop did not finish"
        if outcome:
            raise outcome[0]

    return run


def communicator(meeting_pk: int, user=None, session=None) -> WebsocketCommunicator:
    connection = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/polls/{meeting_pk}/")
    connection.scope["user"] = user or AnonymousUser()
    connection.scope["session"] = session or {}
    return connection


@database_sync_to_async
def a_prepared_poll():
    poll = make_poll(make_meeting(), launch=False)
    participant = admit(poll.meeting)
    return poll, participant


@in_own_event_loop
async def test_a_participant_hears_the_launch_and_the_close():
    poll, participant = await a_prepared_poll()
    socket = communicator(poll.meeting_id, participant.user)
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await database_sync_to_async(services.launch_poll)(poll=poll)
    assert await socket.receive_json_from(timeout=10) == {
        "event": "poll.launched",
        "payload": {"poll_id": poll.pk},
    }
    await database_sync_to_async(services.close_poll)(poll=poll)
    assert await socket.receive_json_from(timeout=10) == {
        "event": "poll.closed",
        "payload": {"poll_id": poll.pk},
    }
    await socket.disconnect()


@in_own_event_loop
async def test_a_guest_listens_with_the_guest_key_of_the_session():
    poll, _ = await a_prepared_poll()
    await database_sync_to_async(admit_guest)(poll.meeting, "gk-1")
    socket = communicator(poll.meeting_id, session={guest_session_key(poll.meeting): "gk-1"})
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await socket.disconnect()


@in_own_event_loop
async def test_it_forwards_no_other_room_events():
    poll, participant = await a_prepared_poll()
    socket = communicator(poll.meeting_id, participant.user)
    await socket.connect(timeout=10)
    await get_channel_layer().group_send(
        meeting_group(poll.meeting_id),
        {"type": "room.event", "event": "chat.message", "payload": {"text": "hello"}},
    )
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


@in_own_event_loop
async def test_it_refuses_people_not_admitted():
    poll, _ = await a_prepared_poll()
    stranger = await database_sync_to_async(make_user)()
    for user, session in ((stranger, {}), (None, {guest_session_key(poll.meeting): "unknown"})):
        socket = communicator(poll.meeting_id, user, session)
        connected, _ = await socket.connect(timeout=10)
        assert not connected
        await socket.disconnect()  # let the consumer stop listening on the channel layer

"""The room's websocket delivers the meeting's poll events to admitted participants (the room's
poll panel has no socket of its own: ``static/meetings/polls.js`` listens to the room's).

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
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.polls import services
from meetings.routing import websocket_urlpatterns
from tests.factories import admit, admit_guest, make_meeting, make_poll, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_channel_layer"),
]


def in_own_event_loop(test):
    @functools.wraps(test)
    def run(*args, **kwargs):
        outcome: list[BaseException] = []

        async def run_then_close_connections():
            try:
                await test(*args, **kwargs)
            finally:  # the database thread of this loop keeps its connection otherwise
                await sync_to_async(connections.close_all, thread_sensitive=True)()

        def target():
            try:
                asyncio.run(run_then_close_connections())
            except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
                outcome.append(error)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the test's event loop did not finish"
        if outcome:
            raise outcome[0]

    return run


def communicator(meeting, user=None, session=None) -> WebsocketCommunicator:
    connection = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/meetings/{meeting.meeting_id}/"
    )
    connection.scope["user"] = user or AnonymousUser()
    connection.scope["session"] = session or {}
    return connection


async def connected(socket: WebsocketCommunicator) -> WebsocketCommunicator:
    """Connect and take the room's first event (its state) off the socket."""
    ok, _ = await socket.connect(timeout=10)
    assert ok
    assert (await socket.receive_json_from(timeout=10))["event"] == "state"
    return socket


@database_sync_to_async
def a_prepared_poll():
    poll = make_poll(make_meeting(), launch=False)
    participant = admit(poll.meeting)
    return poll, participant


@in_own_event_loop
async def test_a_participant_hears_the_launch_and_the_close():
    poll, participant = await a_prepared_poll()
    socket = await connected(communicator(poll.meeting, participant.user))
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
async def test_an_admitted_guest_hears_the_launch_through_the_guest_key_of_the_session():
    poll, _ = await a_prepared_poll()
    await database_sync_to_async(admit_guest)(poll.meeting, "gk-1")
    socket = await connected(
        communicator(poll.meeting, session={guest_session_key(poll.meeting): "gk-1"})
    )
    await database_sync_to_async(services.launch_poll)(poll=poll)
    assert (await socket.receive_json_from(timeout=10))["event"] == "poll.launched"
    await socket.disconnect()


@in_own_event_loop
async def test_someone_in_the_waiting_room_hears_no_poll():
    poll, _ = await a_prepared_poll()
    waiting = await database_sync_to_async(admit)(poll.meeting)
    await database_sync_to_async(Participant.objects.filter(pk=waiting.pk).update)(
        state=Participant.State.WAITING
    )
    socket = await connected(communicator(poll.meeting, waiting.user))
    await database_sync_to_async(services.launch_poll)(poll=poll)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@in_own_event_loop
async def test_the_room_refuses_people_who_are_not_participants():
    poll, _ = await a_prepared_poll()
    stranger = await database_sync_to_async(make_user)()
    for user, session in ((stranger, {}), (None, {guest_session_key(poll.meeting): "unknown"})):
        socket = communicator(poll.meeting, user, session)
        ok, _ = await socket.connect(timeout=10)
        assert not ok
        await socket.disconnect()  # let the consumer stop listening on the channel layer

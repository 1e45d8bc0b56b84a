"""The room's socket across drops: missed chat is replayed, the host hears who dropped and came
back, and a socket opened while a service is away is closed cleanly with "try again later"."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore

from meetings.live import services as services_live
from meetings.live.consumers import CLOSE_TRY_AGAIN
from meetings.live.models import Participant
from meetings.routing import websocket_urlpatterns
from tests.asgi_process import free_port
from tests.factories import make_guest
from tests.meetings.live.test_consumers import connect, receive_event

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_own_loop(scenario):
    """Run the coroutine on an event loop of its own thread and return its result: a browser
    test earlier in this worker may hold the main thread's loop (Playwright's sync API; the
    parallel workers take the largest files first, browser files too)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def in_own_loop(test):
    """An async test run by :func:`run_in_own_loop` (its fixtures as the test names them)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return run_in_own_loop(test(*args, **kwargs))

    return run


async def presence_of(console, participant, timeout=2):
    """The next batch telling whether ``participant`` is connected (the host's own are
    skipped)."""
    while True:
        payload = await receive_event(console, "people", timeout=timeout)
        if str(participant.pk) in payload.get("presence", {}):
            return payload["presence"][str(participant.pk)]


def chat(sender, text, to=None):
    return services_live.send_chat_message(sender=sender, text=text, recipient_pk=to)


@pytest.mark.usefixtures("in_process_channel_layer")
def test_a_reconnecting_page_gets_exactly_the_chat_it_may_see_and_missed(
    meeting, host, host_participant
):
    run_in_own_loop(
        _a_reconnecting_page_gets_exactly_the_chat_it_may_see_and_missed(
            meeting=meeting, host=host, host_participant=host_participant
        )
    )


async def _a_reconnecting_page_gets_exactly_the_chat_it_may_see_and_missed(
    meeting, host, host_participant
):
    anna, anna_session = await sync_to_async(make_guest)(
        meeting, "Anna", state=Participant.State.ADMITTED
    )
    ben, _ = await sync_to_async(make_guest)(meeting, "Ben", state=Participant.State.ADMITTED)
    seen = await sync_to_async(chat)(host_participant, "before the drop")
    await sync_to_async(chat)(ben, "missed, to everyone")
    await sync_to_async(chat)(host_participant, "missed, private to Ben", ben.pk)
    await sync_to_async(chat)(host_participant, "missed, private to Anna", anna.pk)

    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns),
        f"/ws/meetings/{meeting.meeting_id}/?chat_after={seen.pk}",
    )
    communicator.scope["user"] = AnonymousUser()
    communicator.scope["session"] = anna_session
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await receive_event(communicator, "state")
    assert [m["text"] for m in snapshot["chat"]] == [
        "missed, to everyone",
        "missed, private to Anna",
    ]
    assert "dropped" not in snapshot  # only hosts learn who dropped
    await communicator.disconnect()

    # a first connection (no chat_after) gets no replay: the page showed the chat it rendered
    first, _ = await connect(meeting, session=anna_session)
    assert "chat" not in await receive_event(first, "state")
    await first.disconnect()


@pytest.mark.usefixtures("in_process_channel_layer")
def test_the_host_sees_who_dropped_and_who_came_back(meeting, host, host_participant):
    run_in_own_loop(
        _the_host_sees_who_dropped_and_who_came_back(
            meeting=meeting, host=host, host_participant=host_participant
        )
    )


async def _the_host_sees_who_dropped_and_who_came_back(meeting, host, host_participant):
    anna, anna_session = await sync_to_async(make_guest)(
        meeting, "Anna", state=Participant.State.ADMITTED
    )
    console, _ = await connect(meeting, user=host)
    snapshot = await receive_event(console, "state")
    assert snapshot["dropped"] == [anna.pk]  # in the room, no socket open

    anna_socket, _ = await connect(meeting, session=anna_session)
    assert await presence_of(console, anna) is True
    second_tab, _ = await connect(meeting, session=anna_session)
    await anna_socket.disconnect()  # one of her two tabs: still connected
    await second_tab.disconnect()
    assert await presence_of(console, anna) is False
    # leaving the room is not a drop
    anna_again, _ = await connect(meeting, session=anna_session)
    assert await presence_of(console, anna) is True
    await sync_to_async(services_live.leave_meeting)(participant=anna)
    await anna_again.disconnect()
    changes = await receive_event(console, "people")
    assert {"id": anna.pk, "state": "gone"}.items() <= changes["entries"][0].items()
    assert str(anna.pk) not in changes.get("presence", {})
    while not await console.receive_nothing(timeout=0.5):
        event = await console.receive_json_from()
        # leaving the room is no "Anna dropped"
        assert str(anna.pk) not in event["payload"].get("presence", {}), event
    await console.disconnect()


def test_a_socket_opened_while_the_channel_layer_is_away_is_closed_try_again(
    meeting, host, host_participant, settings
):
    run_in_own_loop(
        _a_socket_opened_while_the_channel_layer_is_away_is_closed_try_again(
            meeting=meeting, host=host, host_participant=host_participant, settings=settings
        )
    )


async def _a_socket_opened_while_the_channel_layer_is_away_is_closed_try_again(
    meeting, host, host_participant, settings
):
    # a Redis channel layer on a port where nothing answers: Redis is "briefly away"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/meetings/{meeting.meeting_id}/"
        )
        communicator.scope["user"] = host
        communicator.scope["session"] = SessionStore()
        connected, _ = await communicator.connect()
        assert connected  # accepted, then closed with a reason the page understands
        closing = await communicator.receive_output(timeout=5)
        assert closing == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    finally:
        channel_layers.backends.clear()

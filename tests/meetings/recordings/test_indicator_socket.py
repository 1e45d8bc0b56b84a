"""The indicator's websocket: who may listen, and what it forwards.

The coroutines run in a thread of their own: a browser test earlier in the same worker leaves
Playwright's event loop in the main thread.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from meetings.live.broadcast import broadcast_to_meeting
from meetings.recordings.routing import websocket_urlpatterns
from tests.factories import admit, make_meeting, make_user, start_recording

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_channel_layer"),
]


def in_own_loop(coroutine_function):
    def test(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as executor:
            executor.submit(asyncio.run, coroutine_function(*args, **kwargs)).result(timeout=30)

    test.__name__ = coroutine_function.__name__
    return test


@sync_to_async
def setup(running=False):
    host = make_user("host")
    meeting = make_meeting(host)
    anna = make_user("anna")
    admit(meeting, anna)
    if running:
        start_recording(meeting, started_by=host)
    return meeting, anna, make_user("stranger")


def connect(meeting, user):
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/recording/{meeting.meeting_id}/"
    )
    communicator.scope["user"] = user
    return communicator


@in_own_loop
async def test_a_participant_hears_start_and_stop():
    meeting, anna, _stranger = await setup()
    communicator = connect(meeting, anna)
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {"event": "recording.state", "running": False}

    await sync_to_async(broadcast_to_meeting)(meeting.pk, "recording.started", started_at="x")
    assert await communicator.receive_json_from() == {"event": "recording.started", "running": True}
    await sync_to_async(broadcast_to_meeting)(
        meeting.pk, "chat.message", text="not for the indicator"
    )
    await sync_to_async(broadcast_to_meeting)(meeting.pk, "recording.stopped")
    assert await communicator.receive_json_from() == {
        "event": "recording.stopped",
        "running": False,
    }
    await communicator.disconnect()


@in_own_loop
async def test_it_tells_a_late_listener_that_recording_runs():
    meeting, anna, _stranger = await setup(running=True)
    communicator = connect(meeting, anna)
    await communicator.connect()
    assert await communicator.receive_json_from() == {"event": "recording.state", "running": True}
    await communicator.disconnect()


@in_own_loop
async def test_it_refuses_a_stranger():
    meeting, _anna, stranger = await setup()
    communicator = connect(meeting, stranger)
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4404


@in_own_loop
async def test_it_refuses_an_anonymous_visitor_without_guest_session():
    from django.contrib.auth.models import AnonymousUser

    meeting, _anna, _stranger = await setup()
    communicator = connect(meeting, AnonymousUser())
    communicator.scope["session"] = {}
    connected, _ = await communicator.connect()
    assert not connected

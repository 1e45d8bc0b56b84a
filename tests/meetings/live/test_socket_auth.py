"""Who a room socket belongs to, through the portal's own middleware (portal/socket_auth.py):
the session cookie as the browser sends it, the session and the user resolved by the consumer
in its database thread, with Django's checks."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from meetings.live.models import Participant
from meetings.routing import websocket_urlpatterns
from portal.socket_auth import LazyAuthMiddlewareStack
from tests.factories import make_guest
from tests.meetings.live.test_reconnect import in_own_loop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_channel_layer"),
]


async def connect(meeting, session_key=None):
    headers = [(b"cookie", f"sessionid={session_key}".encode())] if session_key else []
    communicator = WebsocketCommunicator(
        LazyAuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        f"/ws/meetings/{meeting.meeting_id}/",
        headers=headers,
    )
    connected, _ = await communicator.connect()
    return communicator, connected


async def first_state(communicator):
    while True:
        message = await communicator.receive_json_from(timeout=2)
        if message["event"] == "state":
            return message["payload"]


@sync_to_async
def logged_in(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@in_own_loop
async def test_a_guest_is_known_by_the_session_cookie(meeting, host_participant):
    _, session = await sync_to_async(make_guest)(meeting, "Gast")
    communicator, connected = await connect(meeting, session.session_key)
    assert connected
    assert (await first_state(communicator))["state"] == "waiting"
    await communicator.disconnect()


@in_own_loop
async def test_an_account_is_known_by_its_login(meeting, host, host_participant):
    communicator, connected = await connect(meeting, await logged_in(host))
    assert connected
    snapshot = await first_state(communicator)
    assert snapshot["state"] == "admitted"
    assert "people" in snapshot  # the host's view of the room
    await communicator.disconnect()


@in_own_loop
async def test_no_cookie_or_an_unknown_session_is_refused(meeting, host_participant):
    for key in (None, "no-such-session-key-0123456789ab"):
        communicator, connected = await connect(meeting, key)
        assert not connected


@in_own_loop
async def test_a_changed_password_ends_the_sockets_login(meeting, host, host_participant):
    key = await logged_in(host)

    @sync_to_async
    def change_password() -> None:
        host.set_password("a new passphrase for Hanna")
        host.save()

    await change_password()
    communicator, connected = await connect(meeting, key)
    assert not connected


@in_own_loop
async def test_a_removed_guest_with_a_valid_session_is_refused(meeting, host_participant):
    guest, session = await sync_to_async(make_guest)(
        meeting, "Gast", state=Participant.State.REMOVED
    )
    communicator, connected = await connect(meeting, session.session_key)
    assert not connected

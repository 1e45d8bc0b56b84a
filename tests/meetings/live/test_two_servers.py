"""Two ASGI server processes sharing PostgreSQL and Redis serve one meeting correctly."""

import asyncio
import json
import threading

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from meetings.live.models import Participant
from meetings.scheduling.models import Meeting
from tests.factories import PASSCODE
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(transactional_db):
    first = start_asgi_server()
    try:
        second = start_asgi_server()
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def socket_url(server, meeting):
    return f"ws://127.0.0.1:{server.port}/ws/meetings/{meeting.meeting_id}/"


async def next_event(websocket, event, timeout=5):
    while True:
        message = json.loads(await asyncio.wait_for(websocket.recv(), timeout))
        if message["event"] == event:
            return message["payload"]


def test_an_admit_through_one_server_reaches_a_participant_on_the_other(
    two_servers, make_meeting, host
):
    first, second = two_servers
    meeting = make_meeting(authenticated_only=False)

    # the guest joins (the state goes to the shared database) and waits on the second server;
    # the host runs the console on the first
    guest = Client()
    response = guest.post(
        f"/meetings/join/{meeting.meeting_id}/",
        {"passcode": PASSCODE, "display_name": "Gast", "age_confirmed": "on"},
    )
    assert response.status_code == 302
    guest_cookie = f"sessionid={guest.cookies['sessionid'].value}"
    host_client = Client()
    host_client.force_login(host)
    host_cookie = f"sessionid={host_client.cookies['sessionid'].value}"
    host_client.post(f"/meetings/live/{meeting.meeting_id}/start/")
    participant = Participant.objects.get(meeting=meeting, user__isnull=True)

    async def scenario():
        async with (
            connect(
                socket_url(second, meeting),
                origin=second.url,
                additional_headers={"Cookie": guest_cookie},
            ) as waiting,
            connect(
                socket_url(first, meeting),
                origin=first.url,
                additional_headers={"Cookie": host_cookie},
            ) as console,
        ):
            assert (await next_event(waiting, "state"))["state"] == "waiting"
            snapshot = await next_event(console, "state")
            waiting_ids = [
                p["id"] for p in snapshot["people"]["entries"] if p["state"] == "waiting"
            ]
            assert waiting_ids == [participant.pk]
            await console.send(json.dumps({"action": "admit", "participant": participant.pk}))
            assert await next_event(waiting, "admitted") == {}
            # now in the room on the second server: the lock set on the first reaches it
            await console.send(json.dumps({"action": "lock"}))
            assert (await next_event(waiting, "locked"))["locked"] is True
            await console.send(json.dumps({"action": "end"}))
            assert (await next_event(waiting, "ended"))["by_time_limit"] is False

    # in a thread of its own: a browser test may have left an event loop running in this one
    failures = []

    def run() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as error:
            failures.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    runner.join()
    if failures:
        raise failures[0]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ENDED and meeting.locked
    assert not Participant.objects.filter(meeting=meeting).exists()

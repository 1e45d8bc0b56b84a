"""An ASGI server process that serves websockets stops on SIGTERM within the graceful-shutdown
timeout, and its browsers get a close they can explain ("reconnecting…")."""

import asyncio
import json
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.factories import PASSCODE
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_sigterm_closes_the_sockets_and_the_process_stops(make_meeting, host):
    server = start_asgi_server()
    try:
        meeting = make_meeting(authenticated_only=False)
        guest = Client()
        guest.post(
            f"/meetings/join/{meeting.meeting_id}/",
            {"passcode": PASSCODE, "display_name": "Gast", "age_confirmed": "on"},
        )
        cookie = f"sessionid={guest.cookies['sessionid'].value}"

        async def scenario():
            url = f"ws://127.0.0.1:{server.port}/ws/meetings/{meeting.meeting_id}/"
            async with connect(url, origin=server.url, additional_headers={"Cookie": cookie}) as ws:
                assert json.loads(await ws.recv())["event"] == "state"
                server.process.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), 30)
                return closed.value.rcvd.code if closed.value.rcvd else None

        # in a thread of its own: a browser test in this worker may hold the main thread's loop
        with ThreadPoolExecutor(1) as pool:
            code = pool.submit(asyncio.run, scenario()).result()
        assert code == 1012  # "service restart": the room's script reconnects
        # the process stops by itself (well within the documented graceful-shutdown timeout)
        # (uvicorn ends by re-raising the signal it handled)
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()

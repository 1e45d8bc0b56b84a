"""A large meeting on real uvicorn processes and the Redis channel layer: many admitted at once,
a restart that brings everyone back into the room, and the host's lists in batches.

Sixty to eighty sockets here; the benchmark (``benchmarks/waiting_room.py --lecture``) runs
1,000.
"""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from meetings.live import services as services_live
from meetings.live.consumers import PEOPLE_FLUSH_SECONDS
from meetings.live.models import Participant
from tests.factories import PASSCODE, make_guest
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def run_in_own_loop(scenario) -> object:
    """A browser test earlier in this worker may hold the main thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result()


@pytest.fixture
def two_servers(transactional_db):
    first = start_asgi_server()
    try:
        second = start_asgi_server()
    except Exception:
        first.stop()
        raise
    servers = [first, second]
    yield servers
    for server in servers:
        server.stop()


def host_cookie(host) -> str:
    client = Client()
    client.force_login(host)
    return f"sessionid={client.cookies['sessionid'].value}"


def guests(meeting, count, state=Participant.State.WAITING):
    """``count`` guests and their session cookies."""
    made = [make_guest(meeting, f"Guest {number:03d}", state=state) for number in range(count)]
    return [participant for participant, _ in made], [
        f"sessionid={session.session_key}" for _, session in made
    ]


async def open_socket(server, meeting, cookie):
    return await connect(
        f"ws://127.0.0.1:{server.port}/ws/meetings/{meeting.meeting_id}/",
        origin=server.url,
        additional_headers={"Cookie": cookie},
        max_size=None,
    )


async def next_event(websocket, event, timeout=10):
    while True:
        message = json.loads(await asyncio.wait_for(websocket.recv(), timeout))
        if message["event"] == event:
            return message["payload"]


async def events_until_quiet(websocket, quiet=1.0):
    """Every message until none came for ``quiet`` seconds, with the time it was read."""
    received = []
    while True:
        try:
            raw = await asyncio.wait_for(websocket.recv(), quiet)
        except TimeoutError:
            return received
        received.append((time.monotonic(), json.loads(raw)))


def test_admit_all_tells_every_waiting_socket_and_the_host_in_one_batch(
    two_servers, make_meeting, host
):
    meeting = make_meeting(authenticated_only=False)
    services_live.host_enters(meeting=meeting, user=host)
    waiting, cookies = guests(meeting, 60)
    console_cookie = host_cookie(host)

    async def scenario():
        sockets = [
            await open_socket(two_servers[number % 2], meeting, cookie)
            for number, cookie in enumerate(cookies)
        ]
        console = await open_socket(two_servers[0], meeting, console_cookie)
        try:
            for socket in sockets:
                assert (await next_event(socket, "state"))["state"] == "waiting"
            snapshot = await next_event(console, "state")
            listed = [e["id"] for e in snapshot["people"]["entries"] if e["state"] == "waiting"]
            assert sorted(listed) == sorted(p.pk for p in waiting)

            await console.send(json.dumps({"action": "admit_all"}))
            told = await asyncio.gather(*(next_event(s, "admitted") for s in sockets))
            # one admit of many: the pages load the room spread over a few seconds
            assert all(0 < payload["spread_ms"] <= 5000 for payload in told)
            changes = await events_until_quiet(console)
            batches = [message for _, message in changes if message["event"] == "people"]
            assert len(batches) == 1  # sixty admitted, one message to the host's browser
            entries = batches[0]["payload"]["entries"]
            assert sorted(e["id"] for e in entries) == sorted(p.pk for p in waiting)
            assert {e["state"] for e in entries} == {"admitted"}
            assert all(e["v"] > snapshot["people"]["version"] for e in entries)
            # now in the room: a chat message reaches every one of them, on both servers
            await sockets[0].send(json.dumps({"action": "chat", "text": "Guten Morgen"}))
            for socket in sockets:
                assert (await next_event(socket, "chat"))["message"]["text"] == "Guten Morgen"
        finally:
            await asyncio.gather(*(s.close() for s in [*sockets, console]))

    run_in_own_loop(scenario())
    assert not Participant.objects.filter(meeting=meeting, state="waiting").exists()


def test_after_a_server_restart_every_socket_comes_back_admitted(make_meeting, host):
    meeting = make_meeting(authenticated_only=False)
    services_live.host_enters(meeting=meeting, user=host)
    admitted, cookies = guests(meeting, 50, state=Participant.State.ADMITTED)
    server = start_asgi_server()

    async def scenario():
        sockets = [await open_socket(server, meeting, cookie) for cookie in cookies]
        for socket in sockets:
            assert (await next_event(socket, "state"))["state"] == "admitted"
        # SIGTERM: the process closes every socket with 1012 and stops; a new one starts on
        # the same port (systemd's restart)
        port = server.port
        await asyncio.to_thread(server.stop)
        closes = []
        for socket in sockets:
            await socket.wait_closed()
            closes.append(socket.close_code)
        assert set(closes) == {1012}
        restarted = await asyncio.to_thread(start_asgi_server, port=port)
        try:
            again = [await open_socket(restarted, meeting, cookie) for cookie in cookies]
            snapshots = [await next_event(socket, "state") for socket in again]
            await asyncio.gather(*(s.close() for s in again))
        finally:
            await asyncio.to_thread(restarted.stop)
        return snapshots

    try:
        snapshots = run_in_own_loop(scenario())
    finally:
        if server.process.poll() is None:
            server.stop()
    # nobody is sent back to the waiting room: the room is in the database, not the process
    assert [snapshot["state"] for snapshot in snapshots] == ["admitted"] * 50
    in_room = {e["id"] for e in snapshots[-1]["people"]["entries"] if e["state"] == "admitted"}
    assert in_room == {p.pk for p in admitted} | {
        Participant.objects.get(meeting=meeting, user=host).pk
    }
    assert Participant.objects.filter(meeting=meeting, state="admitted").count() == 51


def test_the_hosts_console_hears_many_joins_in_few_batches(two_servers, make_meeting, host):
    meeting = make_meeting(authenticated_only=False)
    services_live.host_enters(meeting=meeting, user=host)
    console_cookie = host_cookie(host)
    joins = 80

    async def scenario():
        console = await open_socket(two_servers[1], meeting, console_cookie)
        try:
            await next_event(console, "state")
            started = time.monotonic()
            # eighty join through the services (each announced on its own, as views do)
            for number in range(joins):
                await asyncio.to_thread(
                    services_live.join_meeting,
                    meeting=meeting,
                    user=None,
                    passcode=PASSCODE,
                    display_name=f"Student {number}",
                )
            joined = time.monotonic() - started
            return joined, await events_until_quiet(console)
        finally:
            await console.close()

    joined, received = run_in_own_loop(scenario())
    batches = [(at, message) for at, message in received if message["event"] == "people"]
    names = {e["name"] for _, m in batches for e in m["payload"]["entries"]}
    assert names == {f"Student {number}" for number in range(joins)}
    # at most one message per flush interval (plus the first and the last), never one per join
    assert len(batches) <= joined / PEOPLE_FLUSH_SECONDS + 2
    assert len(batches) < joins

"""N waiting websockets through nginx (TLS) against the same straight to the ASGI processes.

Runs inside scripts/production_check.py's stack (nginx from deploy/ with a self-signed
certificate in front of two uvicorn processes, Redis as the channel layer, PostgreSQL)::

    scripts/production-check --websockets 300

Per run a new meeting: N guests join (POSTs straight to the upstreams, round robin), open their
waiting-room websockets either through nginx (``wss://localhost:<https port>``) or straight to
the upstreams (``ws://127.0.0.1:<port>``, round robin, with the proxy's headers), stay idle a
few seconds (longer than the 5 s default timeouts of redis-py and channels-redis), then the
host's "admit all" is sent on the host's websocket (same path) and the time until the last of
the N is notified is taken. One small run per path first warms both up (discarded); then runs
alternate between the two paths; medians are printed, with the ratio proxy / straight, and the
same ratio for a trivial request (``GET /healthz``). The joins go four at a time (the load
stays bounded); the figure is the fan-out, not the joins.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import ssl
import statistics
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from websockets.asyncio.client import connect

PASSCODE = "BENCH234"
SETUP = """
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils.timezone import now
from meetings.live import services as services_live
from meetings.scheduling.models import Meeting
from portal.identity.models import LicenceType, Role, User
large, _ = LicenceType.objects.get_or_create(
    slug='bench-large', defaults={{'name': 'Benchmark', 'max_participants': 5000}})
role, _ = Role.objects.get_or_create(
    slug='bench-host', defaults={{'name': 'Benchmark host', 'licence_type': large}})
host, _ = User.objects.get_or_create(
    username='bench-host', defaults={{'first_name': 'Bench', 'last_name': 'Host', 'role': role}})
ids = []
for _ in range({runs}):
    meeting = Meeting(host=host, topic='Websocket benchmark', start=now(), duration_minutes=60,
        authenticated_only=False, waiting_room=True)
    meeting.set_passcode('{passcode}')
    meeting.save()
    services_live.host_enters(meeting=meeting, user=host)
    ids.append(meeting.meeting_id)
store = SessionStore()
store[SESSION_KEY] = str(host.pk)
store[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
store[HASH_SESSION_KEY] = host.get_session_auth_hash()
store.create()
print(store.session_key, *ids)
"""


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def join(port: int, origin: str, meeting_id: str, number: int) -> str:
    """One guest's join POST straight to an upstream (as nginx would forward it)."""
    csrf = secrets.token_hex(16)  # a 32-character secret is a valid unmasked token
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "passcode": PASSCODE,
            "display_name": f"P{number}",
            "age_confirmed": "on",
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST",
        f"/meetings/join/{meeting_id}/",
        body=body,
        headers={
            "Host": origin.split("://", 1)[1],
            "Origin": origin,
            "Referer": f"{origin}/meetings/join/{meeting_id}/",
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 302:
        raise RuntimeError(f"join failed with HTTP {response.status}")
    return next(
        value.split(";")[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie" and "sessionid=" in value
    )


async def _open(url: str, origin: str, cookie: str, *, tls: bool):
    return await connect(
        url,
        origin=origin,
        additional_headers={"Cookie": cookie, "X-Forwarded-Proto": "https"},
        ssl=_tls() if tls else None,
        open_timeout=60,
        max_queue=None,
    )


async def _wait_for(websocket, event: str, timeout: float = 120) -> float:
    while True:
        message = json.loads(await asyncio.wait_for(websocket.recv(), timeout))
        if message.get("event") == event:
            return time.perf_counter()


async def one_run(
    urls: list[str], origin: str, cookies: list[str], host_cookie: str, *, tls: bool, idle: float
) -> tuple[float, float]:
    """Seconds from "admit all" until the first and the last waiting guest was notified."""
    sockets = []
    try:
        for index, cookie in enumerate(cookies):
            sockets.append(await _open(urls[index % len(urls)], origin, cookie, tls=tls))
        await asyncio.gather(*(_wait_for(ws, "state") for ws in sockets))
        console = await _open(urls[0], origin, host_cookie, tls=tls)
        await _wait_for(console, "state")
        await asyncio.sleep(idle)
        waiters = [asyncio.create_task(_wait_for(ws, "admitted")) for ws in sockets]
        started = time.perf_counter()
        await console.send(json.dumps({"action": "admit_all"}))
        arrivals = await asyncio.gather(*waiters)
        await console.close()
        return min(arrivals) - started, max(arrivals) - started
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def trivial(https_port: int, upstreams: list[int], count: int = 50) -> tuple[float, float]:
    """Median GET /healthz through nginx (one kept-alive TLS connection) and straight."""

    def median(connection: http.client.HTTPConnection, host: str) -> float:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/healthz", headers={"Host": host})
            connection.getresponse().read()
            times.append(time.perf_counter() - started)
        connection.close()
        return statistics.median(times)

    proxied = median(
        http.client.HTTPSConnection("localhost", https_port, context=_tls(), timeout=30),
        f"localhost:{https_port}",
    )
    straight = median(
        http.client.HTTPConnection("127.0.0.1", upstreams[0], timeout=30), "127.0.0.1"
    )
    return proxied, straight


def measure(
    manage: Callable[..., str],
    *,
    participants: int,
    https_port: int,
    upstreams: list[int],
    ok: Callable[[str], None],
    runs: int = 3,
    idle: float = 6.0,
) -> dict[str, float]:
    """``runs`` runs per path, alternating; prints and returns the medians in seconds."""
    meetings = 2 * runs + 2  # two warm-up runs
    host_session, *meeting_ids = manage(
        "shell", "-c", SETUP.format(runs=meetings, passcode=PASSCODE)
    ).split()[-(meetings + 1) :]
    origin = f"https://localhost:{https_port}"
    host_cookie = f"sessionid={host_session}"
    figures: dict[str, list[float]] = {"proxy": [], "straight": []}
    for index, meeting_id in enumerate(meeting_ids):
        path = "proxy" if index % 2 == 0 else "straight"
        warm_up = index < 2
        count = 20 if warm_up else participants
        with ThreadPoolExecutor(max_workers=4) as pool:
            cookies = list(
                pool.map(
                    lambda number, meeting_id=meeting_id: join(
                        upstreams[number % len(upstreams)], origin, meeting_id, number
                    ),
                    range(count),
                )
            )
        if path == "proxy":
            urls = [f"wss://localhost:{https_port}/ws/meetings/{meeting_id}/"]
        else:
            urls = [f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}/" for port in upstreams]
        first, notified = asyncio.run(
            one_run(urls, origin, cookies, host_cookie, tls=path == "proxy", idle=idle)
        )
        if warm_up:
            continue
        figures[path].append(notified)
        print(
            f"     {path}: first of {participants} notified {first * 1000:.0f} ms, the last "
            f"{notified * 1000:.0f} ms after admit all",
            flush=True,
        )
    proxy, straight = (statistics.median(figures[key]) for key in ("proxy", "straight"))
    trivial_proxy, trivial_straight = trivial(https_port, upstreams)
    print(
        f"     {participants} websockets, last admitted notified (median of {runs}): through "
        f"nginx {proxy * 1000:.0f} ms, straight {straight * 1000:.0f} ms, ratio "
        f"{proxy / straight:.2f}; GET /healthz through nginx {trivial_proxy * 1000:.1f} ms, "
        f"straight {trivial_straight * 1000:.1f} ms, ratio {trivial_proxy / trivial_straight:.2f}",
        flush=True,
    )
    ok(f"{participants} websockets through nginx: every waiting guest notified of admit all")
    return {
        "proxy": proxy,
        "straight": straight,
        "trivial_proxy": trivial_proxy,
        "trivial_straight": trivial_straight,
    }

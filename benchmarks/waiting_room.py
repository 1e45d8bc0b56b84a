"""Waiting room at scale: N participants wait on websockets, the host admits all at once.

Measures, against a real ASGI server (uvicorn subprocess on a loopback port):

- server time per join request: the round trip of each participant's join POST (meeting ID,
  passcode, display name; rate-limit checks, the join rules, the database write, the
  announcement to the hosts), sequentially, so no request waits behind another;
- time until the last participant is notified: from the host's "admit all" (sent on the
  host's websocket) until the last of the N waiting websockets has received "admitted",
  median over several runs (a new meeting per run).

The websockets stay idle for a few seconds before the admit, longer than redis-py's and
channels-redis' default 5 s timeouts (docs/ARCHITECTURE.md, facts about the stack).

Run against the production services (recommended)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_live \\
    REDIS_URL=redis://127.0.0.1:6379/4 uv run python benchmarks/waiting_room.py

Without them it uses a temporary SQLite file and the in-memory channel layer (one server).
Options: ``--participants 300 --runs 5 --servers 1 --idle 6``.
"""

import argparse
import asyncio
import datetime
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

if not os.environ.get("DATABASE_URL"):
    _tmp_db = Path(tempfile.gettempdir()) / f"portal-bench-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp_db}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils.timezone import now  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from meetings.live import services as services_live  # noqa: E402
from meetings.scheduling.models import Meeting  # noqa: E402
from portal.identity.models import LicenceType, Role, User  # noqa: E402
from tests.asgi_process import start_uvicorn  # noqa: E402

PASSCODE = "BENCH234"


def start_server() -> tuple[int, subprocess.Popen]:
    return start_uvicorn(env={"DEBUG": "true"}, timeout=60)


def setup_host() -> User:
    business, _ = LicenceType.objects.get_or_create(
        slug="bench-large", defaults={"name": "Benchmark", "max_participants": 5000}
    )
    role, _ = Role.objects.get_or_create(
        slug="bench-host", defaults={"name": "Benchmark host", "licence_type": business}
    )
    host, _ = User.objects.get_or_create(
        username="bench-host", defaults={"first_name": "Bench", "last_name": "Host", "role": role}
    )
    return host


def new_meeting(host: User) -> Meeting:
    meeting = Meeting(
        host=host,
        topic="Benchmark",
        start=now(),
        duration_minutes=60,
        authenticated_only=False,
        waiting_room=True,
    )
    meeting.set_passcode(PASSCODE)
    meeting.save()
    return meeting


def join(port: int, meeting: Meeting, number: int) -> tuple[str, float]:
    """One participant's join POST; returns its session cookie and the round trip in s."""
    csrf = secrets.token_hex(16)  # a 32-character secret is a valid unmasked token
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "passcode": PASSCODE, "display_name": f"P{number}"}
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request(
        "POST",
        f"/meetings/join/{meeting.meeting_id}/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 302:
        raise SystemExit(f"join failed with HTTP {response.status}")
    cookie = next(
        value.split(";")[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie" and value.startswith("sessionid=")
    )
    return cookie, elapsed


async def wait_for(websocket, event: str, timeout: float = 60) -> float:
    while True:
        message = json.loads(await asyncio.wait_for(websocket.recv(), timeout))
        if message["event"] == event:
            return time.perf_counter()


async def one_run(
    ports: list[int], meeting: Meeting, cookies: list[str], host_cookie: str, idle: float
) -> float:
    sockets = []
    try:
        for index, cookie in enumerate(cookies):
            port = ports[index % len(ports)]
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/meetings/{meeting.meeting_id}/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": cookie},
                open_timeout=30,
            )
            sockets.append(ws)
        await asyncio.gather(*(wait_for(ws, "state") for ws in sockets))
        console = await connect(
            f"ws://127.0.0.1:{ports[0]}/ws/meetings/{meeting.meeting_id}/",
            origin=f"http://127.0.0.1:{ports[0]}",
            additional_headers={"Cookie": host_cookie},
        )
        await wait_for(console, "state")
        await asyncio.sleep(idle)  # idle longer than the 5 s default timeouts
        waiters = [asyncio.create_task(wait_for(ws, "admitted")) for ws in sockets]
        started = time.perf_counter()
        await console.send(json.dumps({"action": "admit_all"}))
        arrivals = await asyncio.gather(*waiters)
        await console.close()
        return max(arrivals) - started
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--idle", type=float, default=6.0)
    args = parser.parse_args()
    if args.servers > 1 and not settings.REDIS_URL:
        raise SystemExit("several servers need REDIS_URL (a shared channel layer)")

    call_command("migrate", verbosity=0)
    host = setup_host()
    client = Client()
    client.force_login(host)
    host_cookie = f"sessionid={client.cookies['sessionid'].value}"
    servers = [start_server() for _ in range(args.servers)]
    ports = [port for port, _ in servers]
    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"channel layer: {'redis' if settings.REDIS_URL else 'in-memory'}, "
        f"servers: {args.servers}, participants: {args.participants}, runs: {args.runs}"
    )
    join_times: list[float] = []
    notify_times: list[float] = []
    meetings = []
    try:
        warm_up = new_meeting(host)
        services_live.host_enters(meeting=warm_up, user=host)
        join(ports[0], warm_up, 0)  # warm-up (imports, first connections)
        for run in range(args.runs):
            meeting = new_meeting(host)
            meetings.append(meeting)
            services_live.host_enters(meeting=meeting, user=host)
            cookies = []
            for number in range(args.participants):
                cookie, elapsed = join(ports[number % len(ports)], meeting, number)
                cookies.append(cookie)
                join_times.append(elapsed)
            notified = asyncio.run(one_run(ports, meeting, cookies, host_cookie, args.idle))
            notify_times.append(notified)
            print(
                f"run {run + 1}: last of {args.participants} notified after "
                f"{notified * 1000:.0f} ms"
            )
    finally:
        for _, process in servers:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        Meeting.objects.filter(host=host).delete()
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)

    median_notify = statistics.median(notify_times)
    median_join = statistics.median(join_times)
    p95_join = sorted(join_times)[int(len(join_times) * 0.95) - 1]
    print(
        f"time until the last of {args.participants} is notified: median "
        f"{median_notify * 1000:.0f} ms (min {min(notify_times) * 1000:.0f}, max "
        f"{max(notify_times) * 1000:.0f}) over {len(notify_times)} runs"
    )
    print(f"per participant: {median_notify / args.participants * 1000:.2f} ms")
    print(
        f"server time per join request: median {median_join * 1000:.1f} ms, "
        f"p95 {p95_join * 1000:.1f} ms over {len(join_times)} joins "
        f"({datetime.timedelta(seconds=round(sum(join_times)))} in total)"
    )
    print(
        f"ratio: admitting all {args.participants} takes "
        f"{median_notify / median_join:.1f}x one join request"
    )


if __name__ == "__main__":
    main()

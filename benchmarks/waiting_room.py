"""Waiting room at scale: N participants wait on websockets, the host admits all at once;
with ``--lecture``, a lecture of 1,000 on two server processes.

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

``--lecture`` (PostgreSQL and Redis required; default 1,000 participants, two uvicorn
processes with production settings: DEBUG off, ``DATABASE_POOL`` on) measures in one run,
each against a bare ``group_send`` of the channel layer to the same sockets (no database, no
services: the floor of a fan-out) measured right before it:

- the joins: every "people" batch the host's console receives while 1,000 join over HTTP
  (four at a time): how many messages reach the host's browser;
- "admit all": from the host's action until the last of the 1,000 waiting sockets is told,
  and until the host's console lists all of them in the room;
- the admitted pages open their room socket, spread over the time "admitted" tells them;
- chat: from one participant's message until the last of the 1,000 in the room has it
  (median of five);
- a rolling restart: each server process in turn gets SIGTERM (its sockets are closed with
  1012) and is started again; the clients reconnect as the room's script does (jittered
  back-off from 0.5 s, to the other process first, as the proxy would), the second restart
  moves all 1,000. Counted: sockets back in the room within 10 s, failed (not back, refused,
  or sent to the waiting room).

The CPU time the server processes spend per socket (read from ``/proc``) is printed for the
room pages' reopening and for each restart (the process that takes the sockets over): it
projects to other sizes and machines independently of the shared machine's load, which
stretches every wall-clock figure.
"""

import argparse
import asyncio
import datetime
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
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
        {
            "csrfmiddlewaretoken": csrf,
            "passcode": PASSCODE,
            "display_name": f"P{number}",
            "age_confirmed": "on",
        }
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
    parser.add_argument("--participants", type=int, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--servers", type=int, default=None)
    parser.add_argument("--idle", type=float, default=6.0)
    parser.add_argument("--lecture", action="store_true", help="a lecture of 1,000 (see above)")
    args = parser.parse_args()
    if args.lecture:
        run_lecture(
            participants=args.participants or 1000, servers=args.servers or 2, idle=args.idle
        )
        return
    args.participants = args.participants or 300
    args.servers = args.servers or 1
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


# --- a lecture of 1,000 ------------------------------------------------------------------------
RECONNECT_DEADLINE = 10.0


class Peer:
    """One participant's websocket, read continuously; reconnects like the room's script."""

    def __init__(self, cookie: str, port: int, meeting: Meeting) -> None:
        self.cookie, self.port, self.meeting = cookie, port, meeting
        self.ws = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None

    async def open(self, port: int) -> None:
        self.port = port
        self.ws = await connect(
            f"ws://127.0.0.1:{port}/ws/meetings/{self.meeting.meeting_id}/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": self.cookie},
            open_timeout=60,
            max_size=None,
        )
        self.closed = asyncio.Event()
        self.close_code = None
        self.reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                await self.queue.put((time.perf_counter(), message["event"], message["payload"]))
        except Exception:  # noqa: BLE001, S110 (closed: the close code says why)
            pass
        self.close_code = ws.close_code
        self.closed.set()

    async def next(self, event: str, timeout: float = 60) -> tuple[float, dict]:
        while True:
            at, name, payload = await asyncio.wait_for(self.queue.get(), timeout)
            if name == event:
                return at, payload

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()

    async def reconnect(self, ports: list[int], started: float) -> dict:
        """After a close: try again with the room script's jittered back-off, the other
        process first; return how it went."""
        await self.closed.wait()
        outcome = {"refused": 0, "state": None, "after": None}
        outcome["closed"] = time.perf_counter() - started
        delay = 0.5
        order = [p for p in ports if p != self.port] + [self.port]
        attempt = 0
        while time.perf_counter() - started < RECONNECT_DEADLINE * 3:
            await asyncio.sleep(delay / 2 + random.random() * delay)  # noqa: S311
            port = order[attempt % len(order)]
            attempt += 1
            try:
                self.drain()
                await self.open(port)
                outcome["opened"] = time.perf_counter() - started
                _, snapshot = await self.next("state", timeout=10)
            except Exception:  # noqa: BLE001 (refused, reset, timed out: the script retries)
                if self.ws is not None:
                    await self.ws.close()
                outcome["refused"] += 1
                delay = min(delay * 2, 8)
                continue
            outcome["state"] = snapshot["state"]
            outcome["after"] = time.perf_counter() - started
            return outcome
        return outcome


async def _bare_fanout(layer, group: str, peers: list[Peer]) -> float:
    """A bare ``group_send`` to the sockets' group: until the last of them has it."""
    for peer in peers:
        peer.drain()
    waiters = [asyncio.create_task(peer.next("bench", timeout=30)) for peer in peers]
    started = time.perf_counter()
    await layer.group_send(group, {"type": "room.event", "event": "bench", "payload": {}})
    arrivals = await asyncio.gather(*waiters, return_exceptions=True)
    missing = [p for p, got in zip(peers, arrivals, strict=True) if isinstance(got, Exception)]
    if missing:
        closed = sum(1 for peer in missing if peer.closed.is_set())
        raise SystemExit(f"{len(missing)} of {len(peers)} sockets missed it ({closed} closed)")
    return max(at for at, _ in arrivals) - started


async def _lecture(
    ports: list[int],
    restart: Callable[[int], None],
    cpu: Callable[[], list[float]],
    meeting: Meeting,
    cookies: list[str],
    host_cookie: str,
    idle: float,
) -> dict:
    from channels.layers import get_channel_layer

    from meetings.live import broadcast as live

    layer = get_channel_layer()
    figures: dict = {}
    console = Peer(host_cookie, ports[0], meeting)
    await console.open(ports[0])
    await console.next("state")
    peers = [Peer(cookie, ports[i % len(ports)], meeting) for i, cookie in enumerate(cookies)]
    try:
        for start in range(0, len(peers), 50):  # connect in waves, as pages load
            await asyncio.gather(*(p.open(p.port) for p in peers[start : start + 50]))
        snapshots = await asyncio.gather(*(p.next("state") for p in peers))
        assert all(s["state"] == "waiting" for _, s in snapshots)
        await asyncio.sleep(idle)  # idle longer than the 5 s default timeouts

        bare = [await _bare_fanout(layer, live.waiting_group(meeting.pk), peers) for _ in range(5)]
        figures["bare_waiting"] = statistics.median(bare)
        console.drain()
        waiters = [asyncio.create_task(p.next("admitted")) for p in peers]
        started = time.perf_counter()
        await console.ws.send(json.dumps({"action": "admit_all"}))
        arrivals = await asyncio.gather(*waiters)
        figures["admit_all"] = max(at for at, _ in arrivals) - started
        in_room: set = set()
        batches = 0
        while len(in_room) < len(peers):
            at, payload = await console.next("people")
            batches += 1
            in_room |= {e["id"] for e in payload["entries"] if e["state"] == "admitted"}
        figures["admit_all_console"] = at - started
        figures["admit_all_console_batches"] = batches

        # the waiting pages load the room (spread as "admitted" tells them) and open a new
        # socket there, as the browser does
        started = time.perf_counter()

        async def reload(peer: Peer, spread: float) -> float:
            await asyncio.sleep(random.random() * spread)  # noqa: S311
            await peer.ws.close()
            await peer.closed.wait()
            peer.drain()
            await peer.open(peer.port)
            _, snapshot = await peer.next("state")
            assert snapshot["state"] == "admitted", snapshot["state"]
            return time.perf_counter() - started

        spread = max(payload.get("spread_ms", 0) for _, payload in arrivals) / 1000
        cpu_before, client_before = cpu(), time.process_time()
        back = await asyncio.gather(*(reload(p, spread) for p in peers))
        figures["room_loaded"] = max(back)
        # CPU the servers spent per reopened socket (close and open), and this client's
        figures["room_cpu_per_socket"] = (sum(cpu()) - sum(cpu_before)) / len(peers)
        figures["room_client_cpu_per_socket"] = (time.process_time() - client_before) / len(peers)
        figures["spread"] = spread
        members = [*peers, console]
        bare = [
            await _bare_fanout(layer, live.meeting_group(meeting.pk), members) for _ in range(5)
        ]
        figures["bare_room"] = statistics.median(bare)
        chat = []
        for number in range(5):
            for peer in members:
                peer.drain()
            text = f"Frage {number}"
            waiters = [asyncio.create_task(p.next("chat")) for p in members]
            started = time.perf_counter()
            await peers[number].ws.send(json.dumps({"action": "chat", "text": text}))
            arrivals = await asyncio.gather(*waiters)
            assert all(payload["message"]["text"] == text for _, payload in arrivals)
            chat.append(max(at for at, _ in arrivals) - started)
        figures["chat"] = statistics.median(chat)

        # rolling restart: each process in turn; the second moves every socket
        for index, port in enumerate(ports):
            on_it = [p for p in members if p.port == port]
            cpu_before = cpu()
            started = time.perf_counter()
            tasks = [asyncio.create_task(p.reconnect(ports, started)) for p in on_it]
            await asyncio.to_thread(restart, index)
            outcomes = await asyncio.gather(*tasks)
            # the process(es) that took the sockets over (the restarted one is a new process)
            taken_over = sum(
                after - before
                for number, (before, after) in enumerate(zip(cpu_before, cpu(), strict=True))
                if number != index
            )
            late = [o for o in outcomes if o["after"] is None or o["after"] > RECONNECT_DEADLINE]
            waiting_again = [o for o in outcomes if o["state"] not in (None, "admitted")]
            if os.environ.get("BENCH_DEBUG"):
                for key in ("closed", "opened", "after"):
                    values = sorted(o.get(key) or -1 for o in outcomes)
                    print(key, [round(values[i], 2) for i in (0, len(values) // 2, -1)])
            figures[f"restart_{index}"] = {
                "sockets": len(on_it),
                "last_back": max((o["after"] or float("inf")) for o in outcomes),
                "median_back": statistics.median(o["after"] or float("inf") for o in outcomes),
                "failed": len(late) + len(waiting_again),
                "sent_to_waiting_room": len(waiting_again),
                "refused_attempts": sum(o["refused"] for o in outcomes),
                "cpu_per_socket": taken_over / len(on_it),
            }
        return figures
    finally:
        await asyncio.gather(
            *(p.ws.close() for p in [console, *peers] if p.ws is not None),
            return_exceptions=True,
        )


def run_lecture(*, participants: int, servers: int, idle: float) -> None:
    """The lecture of 1,000 (see the module's docstring)."""
    from concurrent.futures import ThreadPoolExecutor

    if not settings.REDIS_URL or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise SystemExit("--lecture needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    call_command("migrate", verbosity=0)
    host = setup_host()
    client = Client()
    client.force_login(host)
    host_cookie = f"sessionid={client.cookies['sessionid'].value}"
    # production settings (DEBUG off: no query log, production's cookies and checks), as
    # portal-asgi@ runs uvicorn (benchmarks/servers.py)
    from benchmarks.servers import production_env, stop_server

    env = production_env(DATABASE_POOL="true")
    processes = [start_uvicorn(env=env, timeout=60) for _ in range(servers)]
    ports = [port for port, _ in processes]
    stop = stop_server

    def restart(index: int) -> None:
        port, process = processes[index]
        stop(process)
        processes[index] = start_uvicorn(env=env, port=port, timeout=60)

    print(
        f"lecture: {participants} participants on {servers} uvicorn processes, PostgreSQL, "
        f"Redis channel layer; load average before: {os.getloadavg()[0]:.1f}"
    )
    figures: dict = {}
    try:
        meeting = new_meeting(host)
        services_live.host_enters(meeting=meeting, user=host)
        join(ports[0], meeting, 0)  # warm-up
        # the host's console listens while everyone joins
        batches: list[int] = []

        async def count_console(stop_event: asyncio.Event) -> None:
            console = Peer(host_cookie, ports[0], meeting)
            await console.open(ports[0])
            await console.next("state")
            while not stop_event.is_set() or not console.queue.empty():
                try:
                    _, payload = await console.next("people", timeout=1.5)
                except TimeoutError:
                    continue
                batches.append(len(payload["entries"]))
            await console.ws.close()

        join_times: list[float] = []
        cookies: list[str] = []

        async def joins() -> None:
            stop_event = asyncio.Event()
            counter = asyncio.create_task(count_console(stop_event))
            await asyncio.sleep(1)
            with ThreadPoolExecutor(4) as pool:
                loop = asyncio.get_running_loop()
                results = await asyncio.gather(
                    *(
                        loop.run_in_executor(pool, join, ports[n % len(ports)], meeting, n)
                        for n in range(1, participants + 1)
                    )
                )
            for cookie, elapsed in results:
                cookies.append(cookie)
                join_times.append(elapsed)
            await asyncio.sleep(1)
            stop_event.set()
            await counter

        started = time.perf_counter()
        asyncio.run(joins())
        joined_in = time.perf_counter() - started
        print(
            f"joins: {participants} in {joined_in:.1f} s (4 at a time), median "
            f"{statistics.median(join_times) * 1000:.0f} ms; the host's console got "
            f"{len(batches)} messages for them (largest batch {max(batches)} entries)"
        )

        def cpu() -> list[float]:
            """CPU seconds (user and system) of each server process so far."""
            ticks = os.sysconf("SC_CLK_TCK")
            seconds = []
            for _, process in processes:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds.append((int(fields[11]) + int(fields[12])) / ticks)
            return seconds

        figures = asyncio.run(_lecture(ports, restart, cpu, meeting, cookies, host_cookie, idle))
        load = os.getloadavg()[0]
    finally:
        for _, process in processes:
            stop(process)
        Meeting.objects.filter(host=host).delete()

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    print(
        f"admit all: the last of {participants} told after {ms(figures['admit_all'])}, "
        f"{figures['admit_all'] / figures['bare_waiting']:.1f}x a bare group_send to them "
        f"({ms(figures['bare_waiting'])}); the host's console listed all in the room after "
        f"{ms(figures['admit_all_console'])} in {figures['admit_all_console_batches']} message(s)"
    )
    print(
        f"room: the {participants} admitted pages opened their room socket (spread over "
        f"{figures['spread']:.1f} s) within {figures['room_loaded']:.1f} s; server CPU "
        f"{ms(figures['room_cpu_per_socket'])} per socket closed and reopened (this client: "
        f"{ms(figures['room_client_cpu_per_socket'])})"
    )
    print(
        f"chat: the last of {participants + 1} has a message after {ms(figures['chat'])} "
        f"(median of 5), {figures['chat'] / figures['bare_room']:.1f}x a bare group_send to "
        f"the room ({ms(figures['bare_room'])})"
    )
    for index in range(servers):
        restart_figures = figures[f"restart_{index}"]
        print(
            f"restart of process {index + 1}: {restart_figures['sockets']} sockets back in the "
            f"room after {restart_figures['last_back']:.1f} s (median "
            f"{restart_figures['median_back']:.1f} s); failed within {RECONNECT_DEADLINE:.0f} s: "
            f"{restart_figures['failed']}; sent to the waiting room: "
            f"{restart_figures['sent_to_waiting_room']}; refused attempts while it restarted: "
            f"{restart_figures['refused_attempts']}; CPU of the process taking them over: "
            f"{ms(restart_figures['cpu_per_socket'])} per socket"
        )
    print(f"load average after: {load:.1f}")


if __name__ == "__main__":
    main()

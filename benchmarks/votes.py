"""Votes per second on one server process with the real database.

Starts one uvicorn process (``portal.asgi``, psycopg's pool on) on a free loopback port, creates
a running meeting with one poll (a single-choice and a multiple-choice question) and VOTERS
admitted guests with their own sessions, then lets CLIENTS concurrent HTTP clients (threads with
keep-alive connections) post every voter's vote through the real vote endpoint
(``/meetings/<meeting_id>/polls/<pk>/vote/``, CSRF and session included). Prints votes per
second, the latency percentiles, and the ratio to a trivial request (``/healthz``) on the same
server, then checks that the tallies and receipts are exact and removes what it created.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_polls \
        uv run python benchmarks/votes.py [VOTERS] [CLIENTS]

Without ``DATABASE_URL`` it runs on the SQLite file (not what production measures). Bounded
by ``TIME_LIMIT`` seconds of voting.
"""

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.asgi_process import start_uvicorn  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

VOTERS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 32
TIME_LIMIT = 90.0


def start_server() -> tuple[int, subprocess.Popen]:
    return start_uvicorn(
        env={
            "DATABASE_POOL": "true",
            "DATABASE_POOL_MAX": str(min(CLIENTS, 40)),
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1",
        },
        extra_args=["--workers", "1"],
    )


def setup_poll():
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.timezone import now

    from meetings.live.models import Participant
    from meetings.live.selectors import guest_session_key
    from meetings.polls import services
    from meetings.scheduling.models import Meeting
    from portal.identity.models import User

    host, _ = User.objects.get_or_create(username="benchmark-votes-host")
    meeting = Meeting.objects.create(
        host=host,
        topic="Benchmark",
        start=now(),
        duration_minutes=60,
        status=Meeting.Status.RUNNING,
    )
    poll = services.create_poll(meeting=meeting, title="Benchmark")
    single = services.add_question(poll=poll, text="One", type="single", options=["a", "b", "c"])
    multiple = services.add_question(
        poll=poll,
        text="Some",
        type="multiple",
        options=["w", "x", "y", "z"],
        min_choices=1,
        max_choices=2,
    )
    services.launch_poll(poll=poll)
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            guest_key=f"bench-{i}",
            display_name="Guest",
            state=Participant.State.ADMITTED,
        )
        for i in range(VOTERS)
    )
    sessions = []
    for i in range(VOTERS):
        session = SessionStore()
        session[guest_session_key(meeting)] = f"bench-{i}"
        session.create()
        sessions.append(session.session_key)
    return meeting, poll, single, multiple, sessions


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    call_command("migrate", verbosity=0)
    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"{VOTERS} voters, {CLIENTS} concurrent clients, one uvicorn process"
    )
    meeting, poll, single, multiple, sessions = setup_poll()
    a, b = (
        list(single.options.values_list("pk", flat=True)),
        list(multiple.options.values_list("pk", flat=True)),
    )
    secret = _get_new_csrf_string()
    token = _mask_cipher_secret(secret)
    path = f"/meetings/{meeting.meeting_id}/polls/{poll.pk}/vote/"
    port, server = start_server()
    try:
        # trivial requests for the ratio
        def get_healthz(count: int, out: list) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(count):
                connection.request("GET", "/healthz")
                connection.getresponse().read()
            out.append(count)

        for _ in range(2):  # warm up
            get_healthz(20, [])
        done: list[int] = []
        threads = [threading.Thread(target=get_healthz, args=(50, done)) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        healthz_rate = sum(done) / (time.perf_counter() - started)

        latencies: list[float] = []
        failures: list[int] = []
        next_voter = iter(range(VOTERS))
        lock = threading.Lock()
        stop_at = time.monotonic() + TIME_LIMIT

        def voter_client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while time.monotonic() < stop_at:
                with lock:
                    index = next(next_voter, None)
                if index is None:
                    return
                body = (
                    f"q{single.pk}={a[index % 3]}&q{multiple.pk}={b[index % 4]}"
                    f"&q{multiple.pk}={b[(index + 1) % 4]}"
                )
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"sessionid={sessions[index]}; csrftoken={secret}",
                    "X-CSRFToken": token,
                    "HX-Request": "true",
                    "Host": "127.0.0.1",
                }
                began = time.perf_counter()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                latencies.append(time.perf_counter() - began)
                if response.status != 200:
                    failures.append(response.status)

        threads = [threading.Thread(target=voter_client) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    from meetings.polls.models import OptionTally, PollReceipt

    votes = len(latencies) - len(failures)
    receipts = PollReceipt.objects.filter(poll=poll).count()
    single_total = sum(
        OptionTally.objects.filter(option__question=single).values_list("count", flat=True)
    )
    multiple_total = sum(
        OptionTally.objects.filter(option__question=multiple).values_list("count", flat=True)
    )
    rate = votes / elapsed
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    print(
        f"votes: {votes} in {elapsed:.1f} s = {rate:.0f} votes/s (failed requests: {len(failures)})"
    )
    print(
        f"latency per vote: median {quantiles[49] * 1000:.0f} ms, "
        f"p95 {quantiles[94] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms"
    )
    print(
        f"trivial GET /healthz on the same server: {healthz_rate:.0f} requests/s; "
        f"a vote costs {healthz_rate / rate:.1f}x a trivial request"
    )
    exact = receipts == votes and single_total == votes and multiple_total == 2 * votes
    print(
        f"tallies exact: {exact} (receipts {receipts}, single-choice total {single_total}, "
        f"multiple-choice total {multiple_total})"
    )

    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=sessions).delete()
    meeting.delete()
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

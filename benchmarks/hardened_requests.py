"""The join request and the vote request with their checks, as ratios to ``/healthz``.

Starts one server process (``--server gunicorn``, production's HTTP server and the default, or
``uvicorn``; production settings, ``TRUSTED_PROXY`` so that each request may come from its own
client address) on a free loopback port, creates a running
meeting that admits guests with a passcode and an open poll, then sends, in ROUNDS interleaved
rounds over one keep-alive connection each: ``GET /healthz``; a join with a wrong passcode
(the no-oracle path: the real passcode check, the rate-limit lookups and the counted refusal);
a join with the right passcode (a new guest in the waiting room); a vote of a new admitted
guest (session, CSRF, poll lock, receipt, counters). Prints the median and p95 of each and its
ratio to ``/healthz``'s median on the same server in the same run, then removes its rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 uv run python benchmarks/hardened_requests.py [ROUNDS] \
    [--server gunicorn|uvicorn] [--profile]

``--profile`` then sends the same kinds of request through Django's WSGI handler in this
process (the test client, CSRF checks off) under pyinstrument and prints where the time goes.
"""

import http.client
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import servers  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

ROUNDS = 200
PASSCODE = "Kq7-Wm3x-Tz9p"


def setup(rounds: int):
    from django.contrib.sessions.backends.db import SessionStore

    from meetings.live.models import Participant
    from meetings.live.selectors import guest_session_key
    from meetings.polls import services
    from portal.identity.models import User
    from tests.factories import make_meeting

    host, _ = User.objects.get_or_create(username="benchmark-hardened-host")
    meeting = make_meeting(host, passcode=PASSCODE, waiting_room=True, authenticated_only=False)
    poll = services.create_poll(meeting=meeting, title="Benchmark")
    single = services.add_question(poll=poll, text="One", type="single", options=["a", "b", "c"])
    services.launch_poll(poll=poll)
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            guest_key=f"bench-{i}",
            display_name="Guest",
            state=Participant.State.ADMITTED,
        )
        for i in range(rounds)
    )
    sessions = []
    for i in range(rounds):
        session = SessionStore()
        session[guest_session_key(meeting)] = f"bench-{i}"
        session.create()
        sessions.append(session.session_key)
    return meeting, poll, single, sessions


def profile(meeting, poll, single, sessions: list[str], options: list[int]) -> None:
    """Join (wrong and right passcode) and vote in this process under pyinstrument."""
    from django.conf import settings
    from django.test import Client
    from pyinstrument import Profiler

    join_path = f"/meetings/join/{meeting.meeting_id}/"
    vote_path = f"/meetings/{meeting.meeting_id}/polls/{poll.pk}/vote/"
    settings.DEBUG = False  # as in production: no query log
    client = Client(HTTP_HOST="127.0.0.1")
    rounds = min(50, len(sessions))
    for name in ("join wrong", "join right", "vote"):
        profiler = Profiler(interval=0.0005)
        with profiler:
            for index in range(rounds):
                address = f"10.200.{index}.9"
                if name == "vote":
                    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[-1 - index]
                    client.post(
                        vote_path,
                        {f"q{single.pk}": options[index % 3]},
                        HTTP_HX_REQUEST="true",
                        REMOTE_ADDR=address,
                    )
                else:
                    client.cookies.clear()
                    passcode = PASSCODE if name == "join right" else "Wrong-Pass-42"
                    client.post(
                        join_path,
                        {"passcode": passcode, "display_name": "Bench", "age_confirmed": "on"},
                        HTTP_X_FORWARDED_FOR=address,
                        REMOTE_ADDR=address,
                    )
        print(f"\n--- profile: {name}, {rounds} requests in this process ---")
        print(profiler.output_text(unicode=True, color=False))


def main() -> dict[str, float]:
    import argparse

    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=ROUNDS)
    parser.add_argument("--server", choices=servers.KINDS, default="gunicorn")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rounds = args.rounds
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}, cache: {'Redis' if settings.REDIS_URL else 'local memory'}")
    meeting, poll, single, sessions = setup(rounds + (50 if args.profile else 0))
    options = list(single.options.values_list("pk", flat=True))
    secret = _get_new_csrf_string()
    token = _mask_cipher_secret(secret)
    join_path = f"/meetings/join/{meeting.meeting_id}/"
    vote_path = f"/meetings/{meeting.meeting_id}/polls/{poll.pk}/vote/"
    port, server = servers.start_server(args.server, servers.production_env(TRUSTED_PROXY="true"))
    times: dict[str, list[float]] = {"healthz": [], "join wrong": [], "join right": [], "vote": []}
    statuses: dict[str, set[int]] = {name: set() for name in times}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def timed(name: str, method: str, path: str, body: str = "", **headers: str) -> None:
        headers = {"Host": "127.0.0.1", **headers}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        times[name].append(time.perf_counter() - began)
        statuses[name].add(response.status)

    try:
        for _ in range(20):  # warm up the server's imports, pool and caches
            timed("healthz", "GET", "/healthz")
        times["healthz"].clear()
        csrf = {"Cookie": f"csrftoken={secret}", "X-CSRFToken": token}
        for index in range(rounds):
            address = f"10.{index // 250}.{index % 250}.7"  # each round another client
            timed("healthz", "GET", "/healthz")
            wrong = urlencode(
                {"passcode": "Wrong-Pass-42", "display_name": "Bench", "age_confirmed": "on"}
            )
            timed("join wrong", "POST", join_path, wrong, **{"X-Forwarded-For": address}, **csrf)
            right = urlencode(
                {"passcode": PASSCODE, "display_name": "Bench", "age_confirmed": "on"}
            )
            timed("join right", "POST", join_path, right, **{"X-Forwarded-For": address}, **csrf)
            vote = urlencode({f"q{single.pk}": options[index % 3]})
            timed(
                "vote",
                "POST",
                vote_path,
                vote,
                Cookie=f"sessionid={sessions[index]}; csrftoken={secret}",
                **{"X-CSRFToken": token, "HX-Request": "true"},
            )
    finally:
        connection.close()
        server.terminate()
        server.wait(timeout=30)

    base = statistics.median(times["healthz"])
    print(
        f"{rounds} interleaved rounds, one {args.server} process, one keep-alive connection, "
        f"load average {servers.load_average()}"
    )
    for name, values in times.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[18]
        print(
            f"{name:11s} median {median * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
            f"{median / base:5.1f}x /healthz  (HTTP {sorted(statuses[name])})"
        )

    from django.contrib.sessions.models import Session

    from meetings.polls.models import PollReceipt

    receipts = PollReceipt.objects.filter(poll=poll).count()
    print(f"votes recorded: {receipts} of {rounds}")
    if args.profile:
        profile(meeting, poll, single, sessions, options)
    Session.objects.filter(session_key__in=sessions).delete()
    meeting.delete()
    if receipts != rounds or statuses["join wrong"] != {200} or statuses["join right"] != {302}:
        raise SystemExit(1)
    return {
        "healthz ms": base * 1000,
        **{
            f"{name} / healthz": statistics.median(values) / base
            for name, values in times.items()
            if name != "healthz"
        },
    }


if __name__ == "__main__":
    main()

"""Votes per second on one server process with the real database.

Starts one server process (``--server gunicorn``, production's HTTP server, the default; or
``uvicorn``) with production settings on a free loopback port, creates
a running meeting with one poll (a single-choice and a multiple-choice question) and VOTERS
admitted guests with their own sessions, then lets CLIENTS concurrent HTTP clients (keep-alive
connections) post every voter's vote through the real vote endpoint
(``/meetings/<meeting_id>/polls/<pk>/vote/``, CSRF and session included). Prints votes per
second, the latency percentiles, and the ratio to a trivial request (``/healthz``) on the same
server, then checks that the tallies and receipts are exact and removes what it created.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_polls \
        uv run python benchmarks/votes.py [VOTERS] [CLIENTS] [--server gunicorn|uvicorn]

Without ``DATABASE_URL`` it runs on the SQLite file (not what production measures). Bounded
by ``TIME_LIMIT`` seconds of voting.
"""

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import servers  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

VOTERS = 2000
CLIENTS = 32
TIME_LIMIT = 60.0


def setup_poll(voters: int):
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
        for i in range(voters)
    )
    sessions = []
    for i in range(voters):
        session = SessionStore()
        session[guest_session_key(meeting)] = f"bench-{i}"
        session.create()
        sessions.append(session.session_key)
    return meeting, poll, single, multiple, sessions


def main() -> dict[str, float]:
    import argparse

    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("voters", type=int, nargs="?", default=VOTERS)
    parser.add_argument("clients", type=int, nargs="?", default=CLIENTS)
    parser.add_argument("--server", choices=servers.KINDS, default="gunicorn")
    args = parser.parse_args()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    call_command("migrate", verbosity=0)
    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"{args.voters} voters, {args.clients} concurrent clients, one {args.server} process"
    )
    meeting, poll, single, multiple, sessions = setup_poll(args.voters)
    a, b = (
        list(single.options.values_list("pk", flat=True)),
        list(multiple.options.values_list("pk", flat=True)),
    )
    secret = _get_new_csrf_string()
    token = _mask_cipher_secret(secret)
    path = f"/meetings/{meeting.meeting_id}/polls/{poll.pk}/vote/"
    port, server = servers.start_server(args.server, servers.production_env())

    def votes():
        for index in range(args.voters):
            body = (
                f"q{single.pk}={a[index % 3]}&q{multiple.pk}={b[index % 4]}"
                f"&q{multiple.pk}={b[(index + 1) % 4]}"
            )
            yield servers.http_request(
                "POST",
                path,
                body,
                Cookie=f"sessionid={sessions[index]}; csrftoken={secret}",
                **{"X-CSRFToken": token, "HX-Request": "true"},
            )
        while True:
            yield None

    try:
        healthz = servers.http_request("GET", "/healthz")
        servers.run_load(port, server.pid, servers.repeat(healthz), seconds=1, connections=2)
        trivial = servers.run_load(
            port, server.pid, servers.repeat(healthz), seconds=5, connections=args.clients
        )
        load = servers.run_load(
            port, server.pid, votes(), seconds=TIME_LIMIT, connections=args.clients
        )
    finally:
        servers.stop_server(server)
    latencies = load.latencies
    failures = [status for status, n in load.statuses.items() if status != 200 for _ in range(n)]
    elapsed = load.seconds
    healthz_rate = trivial.per_second

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
        f"trivial GET /healthz on the same server: {healthz_rate:.0f} requests/s "
        f"({trivial.per_cpu_second:.0f} per CPU second); votes/s are "
        f"{rate / healthz_rate:.0%} of it, a vote costs {healthz_rate / rate:.1f}x a trivial "
        f"request ({trivial.per_cpu_second / load.per_cpu_second:.1f}x in server CPU); "
        f"load average {servers.load_average()}"
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
    return {"votes/s": rate, "votes/s / healthz req/s": rate / healthz_rate}


if __name__ == "__main__":
    main()

"""Benchmark: the "My meetings" page with 10,000 meetings in the database.

Creates a throw-away test database (``test_<name>`` of ``DATABASE_URL``, SQLite in memory
without it), fills it with 10,000 meetings of one host (half upcoming, half past, some series
occurrences and co-hosted meetings of another host) plus 10,000 meetings of other hosts, and
requests ``/meetings/`` (first pages and a deep page) through Django's test client. Prints the
median and 95th-percentile time and the number of queries, and the ratio to the same page
with 100 meetings: the query count must not grow with the number of meetings. On PostgreSQL it
then adds other hosts' meetings by one bulk ``INSERT … SELECT generate_series`` until the table
holds TOTAL meetings (1,000,000), measures again (same query count, time within 1.5×) and shows
the plans of the page's queries (no sequential scan of the meetings table). The home page of the
same logged-in person is requested in turn with "My meetings" (the same seconds of a shared
machine) as the trivial page of the ratio. After each bulk fill the tables get ``VACUUM
ANALYZE``, the state autovacuum keeps them in.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_meetings \
        uv run python benchmarks/my_meetings.py [--total 1000000] [--profile]

``--profile`` prints pyinstrument's profile of the page at 10,000 meetings.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

MEETINGS = 10_000
SMALL = 100
REQUESTS = 30
PATHS = ["/meetings/", "/meetings/?upcoming=200&past=100"]
HOME = "/"


def fill_to(total: int, host_id: int) -> None:
    """Other hosts' meetings by one bulk INSERT until the table holds ``total`` rows (a few
    seconds per 100,000 rows)."""
    from meetings.scheduling.models import Meeting

    missing = total - Meeting.objects.count()
    if missing <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO meetings_meeting (
                meeting_id, topic, description, start, duration_minutes, timezone,
                passcode_encrypted, waiting_room, authenticated_only, join_before_host,
                allowed_domains, recording_announced, chat_stored, attendance_required, status,
                locked, created_at, ends_at, host_id, calendar_sequence, chat, polls_announced)
            SELECT (80000000000 + g)::text, 'Other', '', now() + g * interval '1 minute', 30,
                'Europe/Berlin', 'not-used', true, false, false, '[]'::jsonb, false, false,
                false, 'scheduled', false, now(), now() + g * interval '1 minute'
                + interval '30 minutes', %s, 0, 'everyone', false
            FROM generate_series(1, %s) AS g
            """,
            [host_id, missing],
        )
    vacuum()


def populate(host, others, member, count: int, id_offset: int) -> None:
    from django.contrib.auth.models import Permission
    from django.utils.timezone import now

    from meetings.scheduling.models import Meeting, MeetingSeries, MeetingUserObjectPermission
    from meetings.scheduling.services import HOST_PERMISSION

    moment = now()
    series = MeetingSeries.objects.create(
        host=host,
        topic="Series",
        frequency="WEEKLY",
        count=2,
        first_start=moment,
        timezone="Europe/Berlin",
    )
    rows = []
    for index in range(count):
        offset = datetime.timedelta(hours=index - count // 2)
        owner = host if index % 10 else others[index % len(others)]
        meeting = Meeting(
            host=owner,
            topic=f"Meeting {index}",
            start=moment + offset,
            duration_minutes=60,
            meeting_id=str(10_000_000_000 + id_offset + index),
            passcode_encrypted="not-used",
            series=series if index % 7 == 0 and owner == host else None,
            status=Meeting.Status.ENDED if offset < datetime.timedelta(0) else "scheduled",
        )
        meeting.ends_at = meeting.end
        rows.append(meeting)
    Meeting.objects.bulk_create(rows, batch_size=2000)
    # the host co-hosts the meetings of others
    permission = Permission.objects.get(codename=HOST_PERMISSION)
    granted = Meeting.objects.exclude(host=host).filter(
        meeting_id__gte=str(10_000_000_000 + id_offset)
    )
    MeetingUserObjectPermission.objects.bulk_create(
        MeetingUserObjectPermission(content_object=meeting, user=host, permission=permission)
        for meeting in granted
    )
    # noise: other hosts' meetings that must not show
    Meeting.objects.bulk_create(
        (
            Meeting(
                host=member,
                topic="Other",
                start=moment + datetime.timedelta(minutes=i),
                ends_at=moment + datetime.timedelta(minutes=i + 30),
                duration_minutes=30,
                meeting_id=str(50_000_000_000 + id_offset + i),
                passcode_encrypted="not-used",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )


def measure(client: Client, *paths: str) -> list[tuple[float, float, int]]:
    """Median, 95th percentile and queries of each path, the paths requested in turn: on a
    shared machine the load changes from one second to the next, and ratios between pages
    measured in turn in the same seconds change far less than those measured one after the
    other."""
    for path in paths:
        client.get(path)  # warm up
    timings: dict[str, list[float]] = {path: [] for path in paths}
    counts: dict[str, int] = {}
    for _ in range(REQUESTS):
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                timings[path].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            counts[path] = len(queries)
    figures = []
    for path in paths:
        ordered = sorted(timings[path])
        figures.append(
            (statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1], counts[path])
        )
    return figures


def profile(client: Client, path: str) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(REQUESTS):
            client.get(path)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def plan(host) -> str:
    """PostgreSQL's plan of each query "My meetings" runs for ``host`` (no sequential scan of
    the meetings table; the host's meetings read from the index alone)."""
    from meetings.scheduling.selectors import my_meetings

    with CaptureQueriesContext(connection) as queries:
        my_meetings(host)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join("    " + row[0] for row in cursor.fetchall()))
    return "\n    --\n".join(plans)


def vacuum() -> None:
    """``VACUUM ANALYZE``: the state autovacuum keeps a table in after bulk inserts (statistics
    and the visibility map, without which no scan is index-only)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def or_query_ms(host) -> float:
    """The first page with the managers condition written as ``OR`` (before): median of 5."""
    from django.db.models import Q

    from meetings.scheduling.models import Meeting, MeetingUserObjectPermission

    granted = MeetingUserObjectPermission.objects.filter(
        user=host, permission__codename="host_meeting"
    ).values("content_object_id")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        list(Meeting.objects.filter(Q(host=host) | Q(pk__in=granted)).order_by("start")[:20])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from django.core.management import call_command

    from meetings.scheduling.models import Meeting
    from portal.identity.models import Role, User

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        settings.DEBUG = True
        call_command("demo_data", verbosity=0)
        settings.DEBUG = False
        staff = Role.objects.get(slug="staff")
        host = User.objects.create_user("bench-host", role=staff, is_institution_member=True)
        member = User.objects.create_user("bench-other", role=staff, is_institution_member=True)
        others = [
            User.objects.create_user(f"bench-co-{i}", role=staff, is_institution_member=True)
            for i in range(5)
        ]
        client = Client()
        client.force_login(host)
        engine = connection.vendor
        print(f"My meetings benchmark on {engine}, {REQUESTS} requests per figure")
        results = {}
        populate(host, others, member, SMALL, 0)
        results[SMALL] = measure(client, *PATHS)
        Meeting.objects.all().delete()
        started = time.perf_counter()
        populate(host, others, member, MEETINGS, 100_000)
        print(f"filled {Meeting.objects.count()} meetings in {time.perf_counter() - started:.1f} s")
        if engine == "postgresql":
            vacuum()
        *results[MEETINGS], home = measure(client, *PATHS, HOME)
        if args.profile:
            profile(client, PATHS[0])
        total = None
        if engine == "postgresql" and args.total > Meeting.objects.count():
            started = time.perf_counter()
            fill_to(args.total, member.pk)
            total = Meeting.objects.count()
            print(f"filled to {total:,} meetings in {time.perf_counter() - started:.1f} s")
            *results[total], home_total = measure(client, *PATHS, HOME)
            print("plans of the page's queries:\n" + plan(host))
            print(
                f"the same first page with OR (before): {or_query_ms(host):.1f} ms at "
                f"{total:,} meetings (query alone)"
            )
        for size, figures in results.items():
            what = "meetings of the host" if size <= MEETINGS else "meetings in all"
            for path, (median, p95, queries) in zip(PATHS, figures, strict=True):
                print(
                    f"{size:>7} {what:20s} {path:<36} median {median:7.2f} ms"
                    f"  p95 {p95:7.2f} ms  queries {queries}"
                )
        for index, path in enumerate(PATHS):
            small, large = results[SMALL][index], results[MEETINGS][index]
            print(
                f"ratio {MEETINGS}/{SMALL} for {path}: time {large[0] / small[0]:.2f}x, "
                f"queries {large[2]}/{small[2]}"
            )
        print(
            f"home page median {home[0]:.2f} ms ({home[2]} queries, requested in turn with "
            f"My meetings); My meetings at "
            f"{MEETINGS:,} meetings: {results[MEETINGS][0][0] / home[0]:.2f}x the home page"
        )
        figures = {
            "my meetings 10k ms": results[MEETINGS][0][0],
            "home page ms": home[0],
            "my meetings 10k / home": results[MEETINGS][0][0] / home[0],
        }
        if total:
            for index, path in enumerate(PATHS):
                large, huge = results[MEETINGS][index], results[total][index]
                print(
                    f"ratio {total:,}/{MEETINGS:,} total meetings for {path}: time "
                    f"{huge[0] / large[0]:.2f}x, queries {huge[2]}/{large[2]}"
                )
            print(
                f"home page median {home_total[0]:.2f} ms at {total:,} meetings in all; "
                f"My meetings: {results[total][0][0] / home_total[0]:.2f}x the home page "
                f"(at {MEETINGS:,}: {results[MEETINGS][0][0] / home[0]:.2f}x)"
            )
            figures["my meetings 1M ms"] = results[total][0][0]
            figures["my meetings 1M / 10k"] = results[total][0][0] / results[MEETINGS][0][0]
        return figures
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

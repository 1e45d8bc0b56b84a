"""Benchmark: the portal governing Zoom, against the local Zoom double (loopback only).

1. "Schedule" → secured: ``schedule_meeting`` until Zoom confirmed the meeting with the
   policy (the host's licence push, create, confirmation), over ``MEETINGS`` meetings; median
   and 95th percentile.
2. The nightly reconciliation for ``USERS`` users (50,000 by default): the double holds that
   many Zoom users, the portal that many members with licences, 1 % of them different at Zoom.
   Prints the requests, the seconds, the requests per second against the double's rate limit
   (Zoom's Business+ limits: Medium 60/s for the user list, Light 80/s for single users; the
   portal paces itself at ``ZOOM_BULK_QPS``, 40/s by default) and the run's share of a daily
   budget of 60,000 requests (Zoom's daily limit for heavy APIs on Business+ accounts; the
   user APIs have no daily limit there, so this is a conservative yardstick).

A throw-away test database (``test_<name>`` of ``DATABASE_URL``; SQLite without it); Celery
runs inline. ``uv run python benchmarks/zoom.py [USERS] [MEETINGS]``
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from tests.zoom_double.control import DoubleControl, start_double  # noqa: E402

USERS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
MEETINGS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
DAILY_BUDGET = 60_000


def schedule_to_secured(host) -> list[float]:  # noqa: ANN001
    from django.utils.timezone import now

    from meetings.backends.zoom.models import ZoomMeeting
    from meetings.scheduling import services

    times = []
    for index in range(MEETINGS):
        details = services.MeetingDetails(
            topic=f"Seminar {index}",
            description="",
            start=now() + datetime.timedelta(days=2, minutes=index),
            duration_minutes=60,
            timezone="Europe/Berlin",
            expected_participants=20,
            security={},
        )
        began = time.perf_counter()
        meeting = services.schedule_meeting(host=host, details=details)
        if not ZoomMeeting.objects.get(meeting=meeting).is_secured:
            raise SystemExit("a meeting was not secured")
        times.append(time.perf_counter() - began)
    return times


def populate_users(double: DoubleControl) -> None:
    from portal.identity.models import LicenceAssignment, LicenceType, Role, User

    business = LicenceType.objects.get(slug="business")
    staff = Role.objects.get(slug="staff")
    from portal.identity.models import LicencePool

    LicencePool.objects.filter(licence_type=business).update(quota=USERS)
    users = [
        User(
            username=f"u{i}",
            email=f"u{i}@uni.example",
            role=staff,
            is_institution_member=True,
        )
        for i in range(USERS)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    created = User.objects.filter(username__regex=r"^u[0-9]+$")
    LicenceAssignment.objects.bulk_create(
        [
            LicenceAssignment(
                user=u,
                licence_type=business,
                wanted_licence_type=business,
                in_pool=True,
                source="sso",
            )
            for u in created
        ],
        batch_size=5000,
    )
    chunk = []
    for i in range(USERS):
        # 1 % differ at Zoom: Basic where the portal says Licensed
        chunk.append({"email": f"u{i}@uni.example", "type": 1 if i % 100 == 0 else 2})
        if len(chunk) == 5000:
            double.call("users", {"users": chunk})
            chunk = []
    if chunk:
        double.call("users", {"users": chunk})


def main() -> None:
    from django.core.management import call_command

    from meetings.backends.zoom import reconcile
    from portal.identity.models import Role, User
    from portal.identity.services import sync_licence_from_role

    port, process = start_double()
    double = DoubleControl(port)
    for name, value in double.settings().items():
        setattr(settings, name, value)
    double.config(seats=USERS + 100)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        settings.DEBUG = True
        call_command("demo_data", verbosity=0)
        settings.DEBUG = False
        host = User.objects.create_user(
            "lecturer",
            email="lecturer@uni.example",
            role=Role.objects.get(slug="staff"),
            is_institution_member=True,
        )
        sync_licence_from_role(user=host)
        times = schedule_to_secured(host)
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"schedule → secured at the double: median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms over {len(times)} meetings"
        )
        double.reset()
        double.config(seats=USERS + 100)
        populate_users(double)
        api = reconcile.bulk_client()
        began = time.perf_counter()
        run = reconcile.reconcile(api=api)
        seconds = time.perf_counter() - began
        fixed = sum(1 for d in run.differences if d.get("fixed"))
        print(
            f"reconciliation of {USERS} users: {seconds:.1f} s, {run.requests} requests "
            f"({run.requests / seconds:.1f} req/s; pace {settings.ZOOM_BULK_QPS:.0f}/s, "
            f"Zoom Business+ limits Medium 60/s, Light 80/s), 429 answers {api.rate_limited}, "
            f"{len(run.differences)} differences ({fixed} corrected)"
        )
        print(
            f"daily budget: {run.requests} of {DAILY_BUDGET} requests "
            f"({run.requests / DAILY_BUDGET:.2%}); worst case (every user different): "
            f"{run.requests - fixed + USERS} requests, one per difference"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()

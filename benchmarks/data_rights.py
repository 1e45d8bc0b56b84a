"""Benchmark: export and erasure of one person with 10,000 chat messages, 200 consent decisions
and 50 recordings resting on them (docs/POLICY.md, "rights").

Creates a throw-away test database (``test_<name>`` of ``DATABASE_URL``), fills it for the
person and for another person with the same amounts (whose data must stay), then measures:

- the export (``build_export``: every registered kind into a zip): time, peak Python memory
  (tracemalloc) and the queries each kind takes, for this person and for a person with 1 % of
  the records: the queries per kind must be the same (constant, not per record);
- the erasure (``carry_out_erasure``, batches of ``ERASURE_BATCH_SIZE``): time, peak memory and
  queries per kind (batches grow with the records, never single rows);
- a plain ``SELECT 1`` round trip and a plain SQL ``DELETE`` of the same chat rows, as the
  floor the figures are compared against.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_rights \\
        uv run python benchmarks/data_rights.py
"""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

MESSAGES = 10_000
DECISIONS = 200
RECORDINGS = 50


def fill(user, host, *, messages: int, decisions: int, recordings: int, tag: str) -> None:
    """``user``'s records: chat messages, consent decisions, recordings resting on them."""
    from django.core.files.base import ContentFile

    from consent.models import ConsentDecision, RecordingConsentBasis, subject_reference
    from meetings.live.models import AttendanceRecord, ChatMessage
    from meetings.recordings.models import Recording, RecordingSession
    from meetings.scheduling.models import Invitation, Meeting
    from tests.factories import make_meeting, published_text

    text = published_text()
    meetings = [
        make_meeting(host, topic=f"Seminar {tag} {n}", status=Meeting.Status.ENDED)
        for n in range(max(recordings, 1))
    ]
    ChatMessage.objects.bulk_create(
        (
            ChatMessage(
                meeting=meetings[n % len(meetings)],
                sender_user=user,
                sender_name=user.display_name,
                text=f"message {n} of {tag}",
            )
            for n in range(messages)
        ),
        batch_size=2000,
    )
    ref = subject_reference(user_id=user.pk)
    made = ConsentDecision.objects.bulk_create(
        ConsentDecision(
            subject_ref=ref,
            user=user,
            meeting=meetings[n % len(meetings)],
            meeting_ref=meetings[n % len(meetings)].meeting_id,
            text=text,
            scope=text.scope,
            given=True,
            method="web",
        )
        for n in range(decisions)
    )
    for n in range(recordings):
        session = RecordingSession.objects.create(meeting=meetings[n], started_by=host)
        recording = Recording(
            meeting=meetings[n],
            session=session,
            size=8,
            sha256="0" * 64,
            content_type="video/mp4",
            source=Recording.Source.WEB_UPLOAD,
        )
        recording.save()
        recording.file.save("r.mp4", ContentFile(b"\x00" * 8), save=True)
        RecordingConsentBasis.objects.bulk_create(
            RecordingConsentBasis(session=session, decision=d, display_name=user.display_name)
            for d in made[n :: max(recordings, 1)]
        )
    AttendanceRecord.objects.create(
        meeting=meetings[0], user=user, name=user.get_full_name(), joined_at=meetings[0].start
    )
    Invitation.objects.create(meeting=meetings[0], email=user.email)


def per_kind_queries(subject) -> dict[str, int]:
    from retention.subjects import subjects

    counts = {}
    for kind in subjects:
        with CaptureQueriesContext(connection) as queries:
            for _row in kind.export(subject):
                pass
        counts[kind.identifier] = len(queries)
    return counts


def timed(function):  # noqa: ANN001, ANN201
    """Time and queries of one call (tracemalloc off: it slows Python several times)."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = function()
    return result, time.perf_counter() - started, len(queries)


def peak_memory(function) -> float:  # noqa: ANN001
    """Peak Python memory of one call, in MiB (a separate run: tracemalloc distorts time)."""
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    from portal.identity.models import DataExport, User
    from portal.identity.rights.services import (
        build_export,
        carry_out_erasure,
        request_erasure,
        subject_for_user,
    )

    setup_test_environment()
    settings.DEBUG = False
    media = tempfile.mkdtemp(prefix="data-rights-bench-")
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": f"{media}/recordings"},
        },
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    from django.core.files.storage import storages

    storages._storages.clear()
    from meetings.recordings.models import Recording

    Recording._meta.get_field("file").storage = storages["recordings"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        host = User.objects.create_user("bench-host", email="host@uni.example")

        def person(name: str) -> User:
            return User.objects.create_user(
                name, email=f"{name}@uni.example", first_name=name.title(), display_name=name
            )

        big, other, small = person("bigperson"), person("otherperson"), person("smallperson")
        twin, third = person("twinperson"), person("thirdperson")
        started = time.perf_counter()
        fill(big, host, messages=MESSAGES, decisions=DECISIONS, recordings=RECORDINGS, tag="b")
        fill(other, host, messages=MESSAGES, decisions=DECISIONS, recordings=RECORDINGS, tag="o")
        # the same again: one for the memory run of the erasure, one for the plain SQL floor
        fill(twin, host, messages=MESSAGES, decisions=DECISIONS, recordings=RECORDINGS, tag="t")
        fill(third, host, messages=MESSAGES, decisions=DECISIONS, recordings=RECORDINGS, tag="3")
        fill(
            small,
            host,
            messages=MESSAGES // 100,
            decisions=DECISIONS // 100,
            recordings=max(RECORDINGS // 100, 1),
            tag="s",
        )
        print(f"filled in {time.perf_counter() - started:.1f} s on {connection.vendor}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        _r, floor, _q = timed(lambda: connection.cursor().execute("SELECT 1"))
        print(f"floor: SELECT 1 round trip {floor * 1000:.2f} ms")

        big_kinds = per_kind_queries(subject_for_user(big))
        small_kinds = per_kind_queries(subject_for_user(small))
        print("queries per kind for the export (10,000 messages … / 1 % of it):")
        for identifier, count in big_kinds.items():
            print(f"  {identifier:<24} {count:>3} / {small_kinds[identifier]:>3}")
        constant = big_kinds == small_kinds
        print(f"  constant per kind: {'yes' if constant else 'NO'}")

        export = DataExport.objects.create(user=big)
        _e, seconds, queries = timed(lambda: build_export(export_id=export.pk))
        export.refresh_from_db()
        again = DataExport.objects.create(user=big)
        peak = peak_memory(lambda: build_export(export_id=again.pk))
        print(
            f"export: {seconds:.2f} s, peak {peak:.1f} MiB, {queries} queries, "
            f"archive {export.size / 2**20:.1f} MiB ({seconds / floor:.0f}x SELECT 1)"
        )

        request = request_erasure(user=big)
        _x, seconds, queries = timed(lambda: carry_out_erasure(request=request, handled_by=None))
        request.refresh_from_db()
        twin_request = request_erasure(user=twin)
        peak = peak_memory(lambda: carry_out_erasure(request=twin_request, handled_by=None))
        print(
            f"erasure: {seconds:.2f} s, peak {peak:.1f} MiB, {queries} queries "
            f"(batches of {settings.ERASURE_BATCH_SIZE}), state {request.state}"
        )
        for item in request.outcome:
            if item["erased"] or item["anonymised"]:
                print(
                    f"  {item['kind']:<24} erased {item['erased']:>6}  anonymised "
                    f"{item['anonymised']:>4}"
                )

        # the floor for the erasure: plain SQL deleting the other person's messages
        def plain_delete() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM meetings_chatmessage WHERE sender_user_id = %s", [third.pk]
                )

        _d, plain, _q = timed(plain_delete)
        print(
            f"plain SQL DELETE of 10,000 chat rows: {plain:.2f} s "
            f"(the whole erasure is {seconds / plain:.0f}x that)"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

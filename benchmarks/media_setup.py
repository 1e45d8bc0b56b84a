"""What the media benchmarks share: Django on the given database (a temporary SQLite file
without DATABASE_URL), a host with an open meeting any guest may join, and the portal served by
uvicorn against a Janus of its own (``tests/janus_process.py``). Import it first."""

import os
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

if not os.environ.get("DATABASE_URL"):
    _tmp_db = Path(tempfile.gettempdir()) / f"portal-bench-media-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp_db}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils.timezone import now  # noqa: E402

from meetings.scheduling.models import Meeting  # noqa: E402
from portal.identity.models import LicenceType, Role, User  # noqa: E402
from tests.asgi_process import start_uvicorn  # noqa: E402
from tests.janus_process import JanusProcess, start_janus  # noqa: E402

PASSCODE = "K7M2Q9XP"


def open_meeting() -> tuple[Meeting, str]:
    """Migrate, then a host who may host and a running-capable meeting open to guests; returns
    the meeting and the host's session cookie value."""
    call_command("migrate", verbosity=0)
    licence, _ = LicenceType.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "max_participants": 300}
    )
    role, _ = Role.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "licence_type": licence, "may_host": True}
    )
    host = User.objects.create_user(f"host{os.getpid()}", first_name="Host", role=role)
    meeting = Meeting(
        host=host, topic="Benchmark", start=now(), duration_minutes=120, authenticated_only=False
    )
    meeting.set_passcode(PASSCODE)
    meeting.save()
    client = Client()
    client.force_login(host)
    return meeting, client.cookies["sessionid"].value


def start_media_stack():  # noqa: ANN201 - (JanusProcess, port, server process)
    """Janus and a uvicorn process of the portal using it (no Redis: one process)."""
    janus: JanusProcess = start_janus()
    port, server = start_uvicorn(
        env={**janus.env(), "DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": ""}
    )
    return janus, port, server

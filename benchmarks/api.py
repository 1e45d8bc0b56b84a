"""Benchmark: the REST API against the web pages it mirrors, on the same server process.

Starts one uvicorn process (``portal.asgi``) on a free loopback port, makes a host with a
Business-like licence, a session (for the web) and an API token, then times, one request
after another on a keep-alive connection:

- scheduling a meeting: ``POST /api/v1/meetings`` (JSON) against the web form's
  ``POST /meetings/new/`` (same fields, CSRF and session included);
- listing meetings: ``GET /api/v1/meetings`` against "My meetings" (``GET /meetings/``), with
  the host's 200 meetings in the database;
- a trivial ``GET /healthz`` as the floor.

Requests of the API and of the web page alternate, so that a busy machine slows both alike.
Prints the medians and the API's ratio to the web page for both. Both sides run the same form
and services, so the ratio shows what the API's own layer (token, rate limit, JSON, schema)
adds or saves against the HTML page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_api \
        REDIS_URL=redis://127.0.0.1:6379/5 uv run python benchmarks/api.py [N]
"""

import datetime
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.asgi_process import start_uvicorn  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")

REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
LISTED_MEETINGS = 200


def prepare() -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.utils.timezone import now

    from integrations.api import services
    from meetings.scheduling.models import Meeting
    from portal.identity.models import LicenceType, Role, TermsVersion, User
    from portal.identity.services import accept_terms

    licence, _ = LicenceType.objects.get_or_create(
        slug="benchmark-api", defaults={"name": "Benchmark", "max_participants": 300}
    )
    role, _ = Role.objects.get_or_create(
        slug="benchmark-api",
        defaults={"name": "Benchmark", "may_host": True, "licence_type": licence},
    )
    User.objects.filter(username="benchmark-api").delete()
    user = User.objects.create_user(
        "benchmark-api", email="benchmark-api@uni.example", role=role, is_institution_member=True
    )
    current = TermsVersion.objects.order_by("-pk").first()
    if current is not None:
        accept_terms(user=user, terms_version=current)
    moment = now()
    Meeting.objects.bulk_create(
        Meeting(
            host=user,
            topic=f"Listed {index}",
            start=moment + datetime.timedelta(hours=index + 1),
            duration_minutes=60,
            meeting_id=str(19_000_000_000 + index),
            passcode_encrypted="not-used",
            ends_at=moment + datetime.timedelta(hours=index + 2),
        )
        for index in range(LISTED_MEETINGS)
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    _token, raw = services.create_token(
        user=user,
        name="benchmark",
        kind="personal",
        scopes=["meetings:read", "meetings:write"],
        lifetime_days=1,
    )
    secret = _get_new_csrf_string()
    return {
        "user": user,
        "session": session.session_key,
        "csrf_secret": secret,
        "csrf_token": _mask_cipher_secret(secret),
        "token": raw,
    }


def one(connection: http.client.HTTPConnection, request: tuple, index: int) -> float:
    """Send one request ``(method, path, expected status, body or body(index), headers)``."""
    method, path, expected, body, headers = request
    payload = body(index) if callable(body) else body
    began = time.perf_counter()
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != expected:
        raise SystemExit(f"{method} {path}: {response.status}, expected {expected}")
    return time.perf_counter() - began


def measure_pair(
    connection: http.client.HTTPConnection, api: tuple, web: tuple
) -> tuple[float, float]:
    """Medians of REQUESTS requests of each kind (after 5 to warm up), sent alternately so
    that a busy machine slows both alike."""
    api_times, web_times = [], []
    for index in range(REQUESTS + 5):
        api_time, web_time = one(connection, api, index), one(connection, web, index)
        if index >= 5:
            api_times.append(api_time)
            web_times.append(web_time)
    return statistics.median(api_times), statistics.median(web_times)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils.timezone import now

    from meetings.scheduling.models import Meeting

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}, {REQUESTS} requests each, one uvicorn process, one client")
    prepared = prepare()
    day = (now() + datetime.timedelta(days=30)).strftime("%Y-%m-%d")
    port, server = start_uvicorn(
        env={
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1",
            "API_RATE_LIMIT_PER_MINUTE": "1000000",
        },
        extra_args=["--workers", "1"],
    )
    web_headers = {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={prepared['session']}; csrftoken={prepared['csrf_secret']}",
        "Accept-Language": "en",
    }
    api_headers = {
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {prepared['token']}",
        "Accept-Language": "en",
        "Content-Type": "application/json",
    }

    def form(index: int) -> str:
        return urlencode(
            {
                "topic": f"Web {index}",
                "start": f"{day} 10:{index % 60:02d}",
                "duration_minutes": "30",
                "timezone": "Europe/Berlin",
                "expected_participants": "20",
                "waiting_room": "on",
                "authenticated_only": "on",
                "csrfmiddlewaretoken": prepared["csrf_token"],
                "interval": "1",
            }
        )

    def json_body(index: int) -> str:
        return json.dumps(
            {
                "topic": f"API {index}",
                "start": f"{day}T11:{index % 60:02d}",
                "duration_minutes": 30,
                "timezone": "Europe/Berlin",
                "expected_participants": 20,
            }
        )

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        healthz_request = ("GET", "/healthz", 200, None, {"Host": "127.0.0.1"})
        healthz = statistics.median(
            one(connection, healthz_request, index) for index in range(REQUESTS)
        )
        api_list, web_list = measure_pair(
            connection,
            ("GET", "/api/v1/meetings", 200, None, api_headers),
            ("GET", "/meetings/", 200, None, web_headers),
        )
        form_headers = {**web_headers, "Content-Type": "application/x-www-form-urlencoded"}
        api_create, web_create = measure_pair(
            connection,
            ("POST", "/api/v1/meetings", 201, json_body, api_headers),
            ("POST", "/meetings/new/", 302, form, form_headers),
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        Meeting.objects.filter(host=prepared["user"]).delete()
        prepared["user"].delete()

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.1f} ms"

    print(f"GET /healthz (floor): median {ms(healthz)}")
    print(
        f"list: API GET /api/v1/meetings {ms(api_list)} vs web 'My meetings' {ms(web_list)} "
        f"({LISTED_MEETINGS} meetings) = {api_list / web_list:.2f}x"
    )
    print(
        f"create: API POST /api/v1/meetings {ms(api_create)} vs web form POST {ms(web_create)} "
        f"= {api_create / web_create:.2f}x"
    )


if __name__ == "__main__":
    main()

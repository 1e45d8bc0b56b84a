"""Bad input gets a clear answer, never a server error: every page of the portal, hit with
garbage by a stranger, an anonymous visitor and the host, answers below 500; for the stranger
and the anonymous visitor the database holds no row more or less than before.

URLs are found by walking the URL resolver, so a new page is covered without editing this file.
"""

import re

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from meetings.scheduling.models import Meeting, MeetingPolicy
from tests.factories import make_meeting, make_participant, make_poll, make_recording, make_user

pytestmark = pytest.mark.django_db

GARBAGE = {
    "topic": "\x00" + "A" * 300,
    "description": "x" * 100_000,
    "start": "not-a-date",
    "duration_minutes": "-5",
    "timezone": "Mars/Olympus_Mons",
    "expected_participants": "1e9",
    "passcode": "\x00\x01",
    "meeting_id": "../../etc/passwd",
    "display_name": "\x00",
    "emails": "not-an-address, \x00@@",
    "language": "xx-invalid",
    "next": "https://evil.example/",
    "choice": ["999999999", "abc"],
    "text": "y" * 100_000,
    "decision": "maybe",
    "scope": "everything",
    "SAMLResponse": "bm90IHhtbA==",
    "RelayState": "\x00",
    "page": "-1",
}
QUERY = "?page=abc&upcoming_page=-1&past_page=999999&q=%00"
SKIP = re.compile(r"^(admin/|jsi18n/|accounts/(?!saml))")


def concrete_urls(values: dict[str, str]) -> list[str]:
    """Every route of the portal with its parameters filled from ``values``."""
    urls = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
                continue
            path = route.replace("^", "").replace("$", "").replace("\\.", ".")
            path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", path)
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), path)
            if not SKIP.match(path):
                urls.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(urls))


def row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"meetings", "consent", "portal", "retention"}
    }


@pytest.fixture
def world(demo_institution, recordings_storage):
    MeetingPolicy.current()  # the singleton is created on first use by any page
    host = make_user("host", is_institution_member=True)
    stranger = make_user("stranger", is_institution_member=True)
    meeting = make_meeting(host, status=Meeting.Status.RUNNING)
    make_participant(meeting, user=host, name="Host", is_host=True)
    poll = make_poll(meeting)
    recording = make_recording(meeting)
    values = {
        "meeting_id": meeting.meeting_id,
        "meeting_pk": str(meeting.pk),
        "poll_pk": str(poll.pk),
        "question_pk": str(poll.questions.first().pk),
        "pk": str(recording.pk),
        "version": "1",
        "organization_slug": "demo",
    }
    urls = concrete_urls(values)
    assert len(urls) > 40 and f"/meetings/{meeting.meeting_id}/" in urls  # the walk found them
    return {"host": host, "stranger": stranger, "urls": urls}


@pytest.mark.parametrize("who", ["anonymous", "stranger", "host"])
def test_no_page_answers_garbage_with_a_server_error(world, who):
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    if who != "anonymous":
        client.force_login(world[who])
    before = row_counts()
    failures = []
    for url in world["urls"]:
        for method in ("get", "post"):
            response = client.get(url + QUERY) if method == "get" else client.post(url, GARBAGE)
            # 503 is a deliberate answer (e.g. no consent text published yet), not a crash
            if response.status_code >= 500 and response.status_code != 503:
                failures.append(f"{method.upper()} {url} -> {response.status_code}")
    assert failures == []
    if who == "host":
        return  # the host may legitimately act (start a recording, launch a poll) without input
    after = row_counts()
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    assert changed == {}

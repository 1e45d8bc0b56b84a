"""Who may call what: every operation refuses a missing or unknown token (401) and a token
without its scope (403); another user's meeting, series or recording is not found (404), as on
the web; changing and deleting are the host's."""

import pytest

from integrations.api import services
from meetings.recordings.services import grant_viewer
from meetings.scheduling.models import Meeting, MeetingSeries
from tests.factories import grant_cohost, make_meeting, make_recording
from tests.integrations.api.conftest import meeting_body

pytestmark = pytest.mark.django_db

# (method, path template, scope, body)
OPERATIONS = [
    ("GET", "/api/v1/meetings", "meetings:read", None),
    ("POST", "/api/v1/meetings", "meetings:write", meeting_body()),
    ("GET", "/api/v1/meetings/{meeting}", "meetings:read", None),
    ("PATCH", "/api/v1/meetings/{meeting}", "meetings:write", {"topic": "New"}),
    ("DELETE", "/api/v1/meetings/{meeting}", "meetings:write", None),
    ("GET", "/api/v1/meetings/{meeting}/invitations", "meetings:read", None),
    (
        "POST",
        "/api/v1/meetings/{meeting}/invitations",
        "meetings:write",
        {"addresses": ["a@uni.example"]},
    ),
    ("GET", "/api/v1/meetings/{meeting}/participants", "participants:read", None),
    ("GET", "/api/v1/meetings/{meeting}/polls", "polls:read", None),
    ("GET", "/api/v1/series", "meetings:read", None),
    (
        "POST",
        "/api/v1/series",
        "meetings:write",
        meeting_body(recurrence={"frequency": "DAILY", "count": 2}),
    ),
    ("GET", "/api/v1/series/{series}", "meetings:read", None),
    ("PATCH", "/api/v1/series/{series}", "meetings:write", {"topic": "New"}),
    ("DELETE", "/api/v1/series/{series}", "meetings:write", None),
    ("GET", "/api/v1/recordings", "recordings:read", None),
    ("GET", "/api/v1/recordings/{recording}", "recordings:read", None),
    ("GET", "/api/v1/recordings/{recording}/file", "recordings:read", None),
    ("GET", "/api/v1/licences/report", "licences:read", None),
]
OBJECT_OPERATIONS = [operation for operation in OPERATIONS if "{" in operation[1]]
IDS = [f"{method} {path}" for method, path, _scope, _body in OPERATIONS]
OBJECT_IDS = [f"{method} {path}" for method, path, _scope, _body in OBJECT_OPERATIONS]


@pytest.fixture
def objects(host, recordings_storage) -> dict:
    """A running meeting, a series and a recording, all of ``host``."""
    meeting = make_meeting(host, status=Meeting.Status.RUNNING)
    series_first = make_meeting(host, status=Meeting.Status.SCHEDULED)
    series = MeetingSeries.objects.create(
        host=host,
        topic="Course",
        frequency="DAILY",
        count=1,
        first_start=series_first.start,
        timezone="Europe/Berlin",
    )
    series_first.series = series
    series_first.save()
    return {
        "meeting": meeting.meeting_id,
        "series": series.pk,
        "recording": make_recording(meeting).pk,
    }


def _call(api, method: str, path: str, body: object, objects: dict):  # noqa: ANN001, ANN202
    return api.request(method, path.format(**objects), body)


@pytest.mark.parametrize(("method", "path", "scope", "body"), OPERATIONS, ids=IDS)
def test_it_requires_a_token(api_for, objects, method, path, scope, body) -> None:
    response = _call(api_for(None), method, path, body, objects)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "scope", "body"), OPERATIONS, ids=IDS)
def test_it_refuses_an_unknown_revoked_or_expired_token(
    api_for, openapi, administrator, objects, method, path, scope, body
) -> None:
    from django.utils.timezone import now

    from tests.integrations.api.conftest import ApiClient

    assert _call(ApiClient(openapi, "mgp_guessed"), method, path, body, objects).status_code == 401
    revoked, raw = services.create_token(
        user=administrator, name="old", kind="personal", scopes=[scope], lifetime_days=1
    )
    services.revoke_token(token=revoked)
    assert _call(ApiClient(openapi, raw), method, path, body, objects).status_code == 401
    expired, raw = services.create_token(
        user=administrator, name="old", kind="personal", scopes=[scope], lifetime_days=1
    )
    type(expired).objects.filter(pk=expired.pk).update(expires_at=now())
    assert _call(ApiClient(openapi, raw), method, path, body, objects).status_code == 401


@pytest.mark.parametrize(("method", "path", "scope", "body"), OPERATIONS, ids=IDS)
def test_it_requires_the_scope(api_for, administrator, objects, method, path, scope, body) -> None:
    others = [name for name in services.SCOPES if name != scope]
    response = _call(api_for(administrator, others), method, path, body, objects)
    assert response.status_code == 403
    assert scope in response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "scope", "body"), OBJECT_OPERATIONS, ids=OBJECT_IDS)
def test_another_users_object_is_not_found(
    api_for, other_host, objects, method, path, scope, body
) -> None:
    response = _call(api_for(other_host), method, path, body, objects)
    assert response.status_code == 404
    assert response.json()["title"] == "Not found."


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/meetings/{meeting}", {"topic": "New"}),
        ("DELETE", "/api/v1/meetings/{meeting}", None),
        ("PATCH", "/api/v1/series/{series}", {"topic": "New"}),
        ("DELETE", "/api/v1/series/{series}", None),
    ],
)
def test_changing_and_deleting_are_the_hosts(
    api_for, host, other_host, objects, method, path, body
) -> None:
    for meeting in Meeting.objects.filter(host=host):
        grant_cohost(other_host, meeting)
    response = _call(api_for(other_host), method, path, body, objects)
    assert response.status_code == 404
    assert Meeting.objects.filter(meeting_id=objects["meeting"], topic="Seminar").exists()


def test_a_cohost_reads_the_meeting_and_its_participants(api_for, host, other_host, objects):
    meeting = Meeting.objects.get(meeting_id=objects["meeting"])
    grant_cohost(other_host, meeting)
    api = api_for(other_host)
    assert api.get(f"/api/v1/meetings/{meeting.meeting_id}").status_code == 200
    assert api.get(f"/api/v1/meetings/{meeting.meeting_id}/participants").status_code == 200


def test_participants_of_a_meeting_that_is_not_running_are_a_conflict(api_for, host) -> None:
    meeting = make_meeting(host, status=Meeting.Status.SCHEDULED)
    response = api_for(host).get(f"/api/v1/meetings/{meeting.meeting_id}/participants")
    assert response.status_code == 409
    assert response.json()["detail"] == "The meeting is not running."


def test_a_recording_is_not_found_for_someone_not_named_viewer(
    api_for, host, other_host, objects
) -> None:
    api = api_for(other_host)
    assert api.get(f"/api/v1/recordings/{objects['recording']}").status_code == 404
    from meetings.recordings.models import Recording

    grant_viewer(recording=Recording.objects.get(pk=objects["recording"]), viewer=other_host)
    assert api.get(f"/api/v1/recordings/{objects['recording']}").status_code == 200


def test_the_licence_report_is_refused_to_someone_no_longer_an_administrator(
    api_for, administrator
) -> None:
    api = api_for(administrator)
    administrator.is_staff = False
    administrator.save()
    response = api.get("/api/v1/licences/report")
    assert response.status_code == 403

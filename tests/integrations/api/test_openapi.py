"""The API through its OpenAPI description: the committed description is the generated one,
and every documented operation is called with each answer validated against it."""

import json

import pytest
from django.core import mail
from django.test import Client

from integrations.api.description import openapi_description
from meetings.live.models import Participant
from meetings.polls import services as poll_services
from meetings.recordings.services import grant_viewer
from meetings.scheduling.models import Meeting
from tests.factories import admit, make_meeting, make_participant, make_poll, make_recording
from tests.integrations.api.conftest import DESCRIPTION, meeting_body

pytestmark = pytest.mark.django_db


def test_the_committed_description_is_the_generated_one() -> None:
    assert DESCRIPTION.read_text() == openapi_description(), (
        "docs/openapi.json is out of date: run `uv run python manage.py openapi "
        "--output docs/openapi.json`"
    )


def test_the_description_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == json.loads(DESCRIPTION.read_text())["paths"].keys()


def documented_operations() -> set[tuple[str, str]]:
    paths = json.loads(DESCRIPTION.read_text())["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_every_documented_operation_answers_as_documented(
    api_for, host, administrator, recordings_storage, after_commit
) -> None:
    api = api_for(host)
    created = api.post("/api/v1/meetings", meeting_body(topic="Lecture"))
    assert created.status_code == 201, created.content
    meeting_id = created.json()["meeting_id"]
    assert api.get("/api/v1/meetings").json()["count"] == 1
    assert api.get("/api/v1/meetings?when=past").json()["count"] == 0
    assert api.get(f"/api/v1/meetings/{meeting_id}").json()["topic"] == "Lecture"
    changed = api.patch(f"/api/v1/meetings/{meeting_id}", {"topic": "Lecture 1"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["topic"] == "Lecture 1"

    with after_commit():  # the invitation leaves through Celery after the commit
        sent = api.post(
            f"/api/v1/meetings/{meeting_id}/invitations", {"addresses": ["student@uni.example"]}
        )
    assert sent.status_code == 201, sent.content
    assert sent.json() == {"sent": 1} and len(mail.outbox) == 1
    assert [
        row["email"] for row in api.get(f"/api/v1/meetings/{meeting_id}/invitations").json()
    ] == ["student@uni.example"]

    series = api.post(
        "/api/v1/series",
        meeting_body(topic="Course", recurrence={"frequency": "WEEKLY", "count": 3}),
    )
    assert series.status_code == 201, series.content
    series_id = series.json()["id"]
    assert len(series.json()["occurrences"]) == 3
    assert [row["id"] for row in api.get("/api/v1/series").json()] == [series_id]
    assert api.get(f"/api/v1/series/{series_id}").json()["topic"] == "Course"
    changed = api.patch(f"/api/v1/series/{series_id}", {"topic": "Course B"})
    assert changed.status_code == 200, changed.content
    assert {row["topic"] for row in changed.json()["occurrences"]} == {"Course B"}

    running = make_meeting(host, status=Meeting.Status.RUNNING)
    admit(running, name="Ada")
    make_participant(running, name="Grace", state=Participant.State.WAITING)
    people = api.get(f"/api/v1/meetings/{running.meeting_id}/participants").json()
    assert [row["display_name"] for row in people["admitted"]] == ["Ada"]
    assert [row["display_name"] for row in people["waiting"]] == ["Grace"]

    poll = make_poll(running)
    poll_services.close_poll(poll=poll)
    results = api.get(f"/api/v1/meetings/{running.meeting_id}/polls").json()
    assert [row["title"] for row in results] == ["Budget 2027"]

    recording = make_recording(running)
    listed = api.get("/api/v1/recordings").json()
    assert [row["id"] for row in listed] == [recording.pk]
    detail = api.get(f"/api/v1/recordings/{recording.pk}").json()
    assert detail["download_url"].endswith(f"/api/v1/recordings/{recording.pk}/file")
    download = api.get(f"/api/v1/recordings/{recording.pk}/file")
    assert download.status_code == 200 and download.body.startswith(b"\x00\x00\x00\x18ftyp")

    assert api.delete(f"/api/v1/series/{series_id}").status_code == 204
    assert api.delete(f"/api/v1/meetings/{meeting_id}").status_code == 204

    admin_api = api_for(administrator)
    report = admin_api.get("/api/v1/licences/report")
    assert report.status_code == 200 and report.json()["pools"]

    assert api.called | admin_api.called == documented_operations()


def test_a_viewer_named_by_the_host_lists_and_downloads_the_recording(
    api_for, host, other_host, recordings_storage
) -> None:
    recording = make_recording(make_meeting(host, status=Meeting.Status.ENDED))
    viewer = api_for(other_host, ["recordings:read"])
    assert viewer.get("/api/v1/recordings").json() == []
    grant_viewer(recording=recording, viewer=other_host)
    assert [row["id"] for row in viewer.get("/api/v1/recordings").json()] == [recording.pk]
    assert viewer.get(f"/api/v1/recordings/{recording.pk}/file").status_code == 200

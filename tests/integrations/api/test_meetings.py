"""Meetings through the API follow the web form's rules exactly: the same input is refused
with the same messages, locked settings win, and the policy's defaults apply."""

import datetime
import json

import pytest
from django.test import Client

from meetings.scheduling.models import Meeting, MeetingPolicy
from meetings.scheduling.models.policy import SECURITY_SETTINGS
from portal.identity.models import Role
from tests.factories import make_user
from tests.integrations.api.conftest import local_start, meeting_body

pytestmark = pytest.mark.django_db


def web_form(body: dict) -> dict:
    """What the web form posts for the same meeting."""
    data = {
        "topic": body["topic"],
        "description": body.get("description", ""),
        "start": body["start"],
        "duration_minutes": str(body["duration_minutes"]),
        "timezone": body["timezone"],
        "expected_participants": str(body.get("expected_participants") or ""),
        "passcode": body.get("passcode", ""),
        "allowed_domains": ", ".join(body.get("allowed_domains", [])),
        "waiting_room": "on",
        "authenticated_only": "on",
        "repeat": "",
        "interval": "1",
        "until": "",
        "count": "",
    }
    recurrence = body.get("recurrence")
    if recurrence:
        data.update(
            repeat=recurrence["frequency"],
            until=recurrence.get("until", ""),
            count=str(recurrence.get("count", "")),
        )
    return data


def web_errors(user, body: dict) -> set[str]:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    response = client.post("/meetings/new/", web_form(body), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    return {
        str(message)
        for messages in response.context["form"].errors.values()
        for message in messages
    }


INVALID = {
    "too long for a Basic licence": {"duration_minutes": 90},
    "too many for a Basic licence": {"expected_participants": 500},
    "a weak passcode": {"passcode": "12345678"},
    "a short passcode": {"passcode": "x7Q"},
    "a start in the past": {"start": "2020-01-06T10:00"},
    "a time skipped by the clock change": {"start": "2030-03-31T02:30"},
    "a topic with a line break": {"topic": "Seminar\nBcc: x@example.org"},
    "a bad domain": {"allowed_domains": ["not a domain"]},
    "an end date and a count": {
        "recurrence": {"frequency": "WEEKLY", "until": "2031-01-01", "count": 3}
    },
}


@pytest.mark.parametrize("change", INVALID.values(), ids=INVALID.keys())
def test_the_api_refuses_what_the_web_form_refuses_with_the_same_messages(
    api_for, demo_institution, change
) -> None:
    student = make_user(
        "student", role=Role.objects.get(slug="student"), is_institution_member=True
    )
    body = meeting_body(**change)
    response = api_for(student).post("/api/v1/meetings", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    api_messages = {error["message"] for error in response.json()["errors"]}
    assert api_messages == web_errors(student, body)
    assert not Meeting.objects.exists()


def test_a_role_that_may_not_host_is_refused(api_for, demo_institution) -> None:
    guest_role = Role.objects.filter(may_host=False).first()
    user = make_user("nohost", role=guest_role)
    response = api_for(user).post("/api/v1/meetings", meeting_body())
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow you to schedule meetings."


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_a_locked_setting_wins_over_what_the_client_sends(api, name) -> None:
    policy = MeetingPolicy.current()
    setattr(policy, f"{name}_locked", True)
    policy.save()
    wanted = not getattr(policy, name)
    response = api.post("/api/v1/meetings", meeting_body(**{name: wanted}))
    assert response.status_code == 201, response.content
    assert response.json()["security"][name] is getattr(policy, name)
    assert getattr(Meeting.objects.get(), name) is getattr(policy, name)


def test_the_api_cannot_announce_a_recording_where_the_institution_forbids_it(api) -> None:
    policy = MeetingPolicy.current()
    policy.recording_forbidden = True
    policy.save()
    response = api.post("/api/v1/meetings", meeting_body(recording_announced=True))
    assert response.status_code == 201, response.content
    assert response.json()["security"]["recording_announced"] is False
    assert Meeting.objects.get().recording_announced is False


def test_settings_left_out_take_the_policys_defaults_and_a_passcode_is_generated(api) -> None:
    response = api.post("/api/v1/meetings", meeting_body())
    meeting = Meeting.objects.get()
    assert response.json()["security"] == MeetingPolicy.current().defaults()
    assert len(meeting.passcode) >= 8 and response.json()["passcode"] == meeting.passcode
    assert response.json()["join_url"].endswith(f"#passcode={meeting.passcode}")


def test_a_change_keeps_what_it_leaves_out(api) -> None:
    created = api.post(
        "/api/v1/meetings", meeting_body(passcode="Vq7-Lm2#xR", allowed_domains=["partner.example"])
    ).json()
    changed = api.patch(f"/api/v1/meetings/{created['meeting_id']}", {"duration_minutes": 45})
    assert changed.status_code == 200, changed.content
    meeting = Meeting.objects.get()
    assert meeting.duration_minutes == 45
    assert meeting.passcode == "Vq7-Lm2#xR" and meeting.allowed_domains == ["partner.example"]
    assert meeting.topic == "Seminar"
    assert meeting.start == datetime.datetime.fromisoformat(created["start"])


def test_an_unknown_cohost_is_refused_with_the_forms_message(api) -> None:
    response = api.post("/api/v1/meetings", meeting_body(co_hosts=["nobody"]))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "co_hosts", "message": "Co-hosts must be members of the institution."}
    ]


def test_cohosts_are_named_by_user_name(api, staff_role) -> None:
    make_user("colleague", role=staff_role, is_institution_member=True)
    response = api.post("/api/v1/meetings", meeting_body(co_hosts=["colleague"]))
    assert response.status_code == 201, response.content
    assert response.json()["co_hosts"] == ["colleague"]


def test_an_invitation_outside_the_allowed_domains_is_refused(api) -> None:
    meeting_id = api.post("/api/v1/meetings", meeting_body()).json()["meeting_id"]
    response = api.post(
        f"/api/v1/meetings/{meeting_id}/invitations", {"addresses": ["someone@gmail.example"]}
    )
    assert response.status_code == 422
    assert "someone@gmail.example" in response.json()["errors"][0]["message"]


def test_a_running_meeting_cannot_be_deleted(api, host) -> None:
    from tests.factories import make_meeting

    meeting = make_meeting(host, status=Meeting.Status.RUNNING)
    response = api.delete(f"/api/v1/meetings/{meeting.meeting_id}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "End the meeting before deleting it."


def test_a_body_that_is_not_json_is_a_problem_not_a_crash(api) -> None:
    response = api.client.post(
        "/api/v1/meetings",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.raw_token}",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_a_missing_field_names_the_field(api) -> None:
    body = meeting_body()
    del body["topic"]
    response = api.post("/api/v1/meetings", body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["topic"]


def test_problems_are_translated(api) -> None:
    response = api.post("/api/v1/meetings", meeting_body(passcode="12345678"), accept_language="de")
    problem = response.json()
    assert problem["title"] == "Die Anfrage ist ungültig."
    assert response["Content-Language"] == "de"
    assert "leicht zu erraten" in problem["errors"][0]["message"]


def test_the_series_schedule_is_fixed_once_it_has_begun(api, host) -> None:
    series = api.post(
        "/api/v1/series",
        meeting_body(recurrence={"frequency": "DAILY", "count": 3}, start=local_start(days=2)),
    ).json()
    first = Meeting.objects.filter(series_id=series["id"]).order_by("start").first()
    first.status = Meeting.Status.ENDED
    first.save()
    response = api.patch(
        f"/api/v1/series/{series['id']}",
        {"recurrence": {"frequency": "DAILY", "count": 5}, "topic": "Renamed"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 3
    assert json.dumps(response.json()).count("Renamed") == 3  # series and 2 future occurrences

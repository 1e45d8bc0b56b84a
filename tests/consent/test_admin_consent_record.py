"""The consent record of a recording in the admin, and its export for the DPO."""

import csv
import io
import json

import pytest

from consent.models import RecordingConsentBasis
from tests.factories import admit, decide, make_meeting, make_recording, make_user, published_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording():
    meeting = make_meeting(make_user("host"))
    recording = make_recording(meeting)
    text = published_text()
    for name in ("Anna A.", "=cmd|calc"):
        participant = admit(meeting, make_user(name.split()[0].strip("=|")), name=name)
        RecordingConsentBasis.objects.create(
            session=recording.session, decision=decide(participant, text), display_name=name
        )
    return recording


def test_it_shows_the_decisions_a_recording_rests_on(admin_client, recording):
    body = admin_client.get(
        f"/admin/consent/recordingconsentrecord/{recording.pk}/change/"
    ).content.decode()
    decisions = RecordingConsentBasis.objects.filter(session=recording.session)
    assert "Anna A." in body
    for basis in decisions:
        assert basis.decision.subject_ref[:16] in body


def test_it_exports_csv_for_the_data_protection_officer(admin_client, recording):
    response = admin_client.post(
        "/admin/consent/recordingconsentrecord/",
        {"action": "export_as_csv", "_selected_action": [recording.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert {row["display_name"] for row in rows} == {"Anna A.", "'=cmd|calc"}
    assert all(row["given"] == "True" and row["text_version"] == "1" for row in rows)
    assert all(row["meeting_id"] == recording.meeting.meeting_id for row in rows)


def test_it_exports_json(admin_client, recording):
    response = admin_client.post(
        "/admin/consent/recordingconsentrecord/",
        {"action": "export_as_json", "_selected_action": [recording.pk]},
    )
    records = json.loads(response.content)["consent_records"]
    assert len(records) == 2
    assert records[0]["recording_sha256"] == recording.sha256


def test_decisions_are_evidence_nobody_edits(admin_client, recording):
    basis = RecordingConsentBasis.objects.filter(session=recording.session).first()
    url = f"/admin/consent/consentdecision/{basis.decision.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/consent/consentdecision/add/").status_code == 403


def test_non_staff_users_get_no_export(client, recording):
    client.force_login(make_user("anna2"))
    response = client.post(
        "/admin/consent/recordingconsentrecord/",
        {"action": "export_as_csv", "_selected_action": [recording.pk]},
    )
    assert response.status_code == 302

"""The access log: reads of personal data are recorded (who, what kind, which object by keyed
hash, when), kept under a retention rule, viewed and exported by the data-protection officer,
and reading it is recorded too (docs/POLICY.md, retention)."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils.timezone import now

from meetings.live.models import AttendanceRecord, ChatMessage
from retention.access import find_reads
from retention.apps import DATA_PROTECTION_OFFICER
from retention.models import AccessLogEntry
from retention.services import purge_category
from tests.factories import make_meeting, make_recording, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


@pytest.fixture
def recording():
    return make_recording(make_meeting(make_user("host"), status="ended"))


@pytest.fixture
def officer():
    user = make_user("dpo", is_staff=True)
    user.groups.add(Group.objects.get(name=DATA_PROTECTION_OFFICER))
    return user


def client_of(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_recording_download_is_logged_pseudonymously(recording):
    host = recording.meeting.host
    client_of(host).get(f"/meetings/recordings/{recording.pk}/download/")

    [entry] = find_reads(f"meetings.recording:{recording.pk}")
    assert (entry.actor, entry.kind) == (host, "recording_download")
    assert "recording" not in entry.reference and len(entry.reference) == 64


def test_the_hosts_view_of_the_viewers_is_logged(recording):
    client_of(recording.meeting.host).get(f"/meetings/recordings/{recording.pk}/")
    assert [e.kind for e in find_reads(f"meetings.recording:{recording.pk}")] == [
        "recording_viewers"
    ]


def test_a_stranger_who_is_refused_leaves_no_read(recording):
    client_of(make_user("stranger")).get(f"/meetings/recordings/{recording.pk}/download/")
    assert not AccessLogEntry.objects.exists()


def test_a_consent_export_logs_each_record(admin_client, recording):
    admin_client.post(
        "/admin/consent/recordingconsentrecord/",
        {"action": "export_as_csv", "_selected_action": [recording.pk]},
    )
    assert [e.kind for e in AccessLogEntry.objects.all()] == ["consent_export"]


def test_attendance_and_chat_opened_in_the_admin_are_logged(admin_client, admin_user):
    meeting = make_meeting(make_user("host"), status="ended")
    attendance = AttendanceRecord.objects.create(meeting=meeting, name="Anna", joined_at=now())
    message = ChatMessage.objects.create(meeting=meeting, sender_name="Anna", text="hello")

    admin_client.get("/admin/meetings/attendancerecord/")
    admin_client.get("/admin/meetings/chatmessage/")  # the list shows no texts
    admin_client.get(f"/admin/meetings/chatmessage/{message.pk}/change/")

    kinds = {(e.kind, e.actor) for e in AccessLogEntry.objects.all()}
    assert kinds == {("attendance", admin_user), ("chat", admin_user)}
    assert find_reads(f"meetings.attendancerecord:{attendance.pk}").exists()
    assert find_reads(f"meetings.chatmessage:{message.pk}").exists()


def test_the_officer_views_and_exports_and_that_is_logged_too(recording, officer):
    client_of(recording.meeting.host).get(f"/meetings/recordings/{recording.pk}/download/")
    client = client_of(officer)

    page = client.get("/admin/retention/accesslogentry/")
    assert page.status_code == 200
    assert "recording_download" in page.content.decode()
    found = client.get(f"/admin/retention/accesslogentry/?q=meetings.recording:{recording.pk}")
    assert len(found.context["cl"].result_list) == 1

    entries = list(AccessLogEntry.objects.values_list("pk", flat=True))
    export = client.post(
        "/admin/retention/accesslogentry/",
        {"action": "export_as_csv", "_selected_action": entries},
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["kind"] for row in rows} >= {"recording_download", "access_log"}
    assert "host" in {row["read by"] for row in rows}
    assert AccessLogEntry.objects.filter(kind="access_log", actor=officer).count() == 4


def test_other_staff_may_not_read_the_access_log():
    client = client_of(make_user("clerk", is_staff=True))
    assert client.get("/admin/retention/accesslogentry/").status_code == 403


def test_the_access_log_goes_after_twelve_months(recording):
    client_of(recording.meeting.host).get(f"/meetings/recordings/{recording.pk}/download/")
    AccessLogEntry.objects.update(created_at=now() - datetime.timedelta(days=370))
    purge_category(identifier="access_log")
    assert not AccessLogEntry.objects.exists()

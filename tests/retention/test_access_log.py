"""The access log: reads of personal data are recorded (who, what kind, which object by keyed
hash, when), kept under a retention rule, viewed and exported by the data-protection officer,
and reading it is recorded too (docs/POLICY.md, retention)."""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils.timezone import now

from consent.models import ConsentDecision, ConsentText, RecordingConsentRecord
from meetings.live.models import AttendanceRecord, ChatMessage
from retention.access import find_reads
from retention.admin import (
    access_kind_for,
    holds_personal_data,
    log_personal_data_reads,
    logs_reads,
)
from retention.apps import DATA_PROTECTION_OFFICER
from retention.models import AccessLogEntry
from retention.services import purge_category
from tests.factories import (
    admit,
    decide,
    make_meeting,
    make_recording,
    make_user,
    pass_second_factor,
    published_text,
)

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


def test_every_admin_of_a_model_with_personal_data_logs_its_reads():
    import portal.urls  # noqa: F401 - the root URLconf wires the logging, as for every request

    missing = sorted(
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if holds_personal_data(model) and not logs_reads(model_admin)
    )
    assert missing == [], f"admins that show personal data without logging reads: {missing}"
    # guards the guard: the registry of personal data drives it, proxies included
    assert holds_personal_data(get_user_model()) and holds_personal_data(RecordingConsentRecord)
    assert not holds_personal_data(ConsentText)


def test_an_admin_registered_without_a_thought_for_the_log_gets_it():
    site = admin.AdminSite(name="elsewhere")
    site.register(ConsentDecision)  # a plain ModelAdmin
    site.register(ConsentText)

    assert log_personal_data_reads(site) == ["consent.consentdecision"]
    assert logs_reads(site._registry[ConsentDecision])
    assert not logs_reads(site._registry[ConsentText])
    assert log_personal_data_reads(site) == []  # once


def test_the_list_and_change_pages_of_personal_data_are_logged_generically(admin_user):
    meeting = make_meeting(make_user("host"))
    anna = make_user("anna")
    decision = decide(admit(meeting, anna, name="Anna A."), published_text())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pass_second_factor(client, admin_user)

    assert client.get("/admin/consent/consentdecision/").status_code == 200
    assert client.get(f"/admin/portal/user/{anna.pk}/change/").status_code == 200

    [listed] = find_reads(f"consent.consentdecision:{decision.pk}")
    assert (listed.actor, listed.kind) == (admin_user, "consent_decisions")
    [opened] = find_reads(f"portal.user:{anna.pk}")
    assert (opened.actor, opened.kind) == (admin_user, access_kind_for(get_user_model()))

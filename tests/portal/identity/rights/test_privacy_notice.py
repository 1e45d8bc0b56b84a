"""The public privacy notice and the DPO's record of processing, generated from the
registrations and the retention rules in force, in German and English."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client

from retention.access import find_reads
from retention.models import RetentionRule
from retention.subjects import subjects
from tests.factories import make_meeting, make_user

pytestmark = pytest.mark.django_db


def test_the_notice_is_public_and_lists_every_registered_kind(client):
    response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    for kind in subjects:
        assert f'data-kind="{kind.identifier}"' in page
    assert "Art. 6(1)(a) GDPR" in page
    assert "/my-data/" in page


def test_how_long_comes_from_the_live_rules(client):
    rule = RetentionRule.objects.get(category="chat", counts_from="created")
    assert "30 days" in client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rule.period_amount = 12
    rule.save()
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "deleted 12 days after" in page


def test_a_disabled_rule_is_not_promised(client):
    RetentionRule.objects.filter(category="chat").update(enabled=False, period_amount=77)
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "77 days" not in page


def test_the_notice_speaks_german(client):
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Datenschutzhinweise" in page
    assert "Art. 6 Abs. 1 lit. a DSGVO" in page


def test_the_notice_is_linked_from_every_page_join_and_waiting(client):
    assert "/privacy/" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    meeting = make_meeting(authenticated_only=False)
    page = client.get(f"/meetings/join/{meeting.meeting_id}/").content.decode()
    assert 'id="privacy-notice-link"' in page


def test_invitations_and_calendar_files_link_the_notice(settings, after_commit):
    from meetings.scheduling.calendar import _description
    from meetings.scheduling.services import invite

    host = make_user("host", email="host@uni.example")
    meeting = make_meeting(host, passcode="K7M2Q9XP")
    assert f"{settings.PORTAL_BASE_URL}/privacy/" in _description(meeting)
    with after_commit():  # the invitation leaves through Celery after the commit
        invite(meeting=meeting, addresses=["guest@uni.example"])
    [message] = mail.outbox
    assert f"{settings.PORTAL_BASE_URL}/privacy/" in message.body
    html = message.alternatives[0][0] if message.alternatives else ""
    assert f"{settings.PORTAL_BASE_URL}/privacy/" in html


def test_the_record_is_the_dpos_alone(client):
    client.force_login(make_user("someone"))
    assert client.get("/privacy/record/").status_code == 403
    assert client.get("/privacy/record/?format=csv").status_code == 403


def test_the_record_as_csv_and_printable_page(client):
    officer = make_user("officer")
    officer.user_permissions.add(Permission.objects.get(codename="handle_erasure_request"))
    client.force_login(officer)

    response = client.get("/privacy/record/?format=csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["identifier"] for row in rows} == {kind.identifier for kind in subjects}
    chat = next(row for row in rows if row["identifier"] == "chat_messages")
    assert "30 days" in chat["retention"] and chat["legal_basis"]
    [read] = find_reads("portal.processingrecord:csv")
    assert (read.actor, read.kind) == (officer, "processing_record")

    page = client.get("/privacy/record/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="processing-record"' in page


def test_the_notice_rejects_post():
    assert Client().post("/privacy/").status_code == 405

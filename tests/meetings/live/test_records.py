"""Hosts read what a meeting kept: the attendance list where the policy allows it, the stored
chat where storing it was announced and within its retention period; each read goes to the
access log (docs/POLICY.md, chat and attendance)."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.live.models import AttendanceRecord, ChatMessage
from meetings.scheduling.models import Meeting, MeetingPolicy
from retention.models import AccessLogEntry, RetentionRule
from tests.factories import grant_cohost, make_meeting, make_user

pytestmark = pytest.mark.django_db


def ended(**fields) -> Meeting:
    return make_meeting(make_user("host"), status=Meeting.Status.ENDED, ended_at=now(), **fields)


def attend(meeting: Meeting, name: str, **fields) -> AttendanceRecord:
    return AttendanceRecord.objects.create(
        meeting=meeting, name=name, joined_at=now() - datetime.timedelta(minutes=30), **fields
    )


def test_the_hosts_see_and_download_the_attendance_list_and_each_read_is_logged(client):
    meeting = ended(attendance_required=True)
    attend(meeting, "Anna Adler")
    attend(meeting, "=Gast", is_guest=True)
    cohost = make_user("cohost", is_institution_member=True)
    grant_cohost(cohost, meeting)
    client.force_login(cohost)

    page = client.get(f"/meetings/live/{meeting.meeting_id}/attendance/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Anna Adler" in page.content.decode()
    download = client.get(f"/meetings/live/{meeting.meeting_id}/attendance/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    body = download.content.decode()
    assert "Anna Adler" in body and "'=Gast" in body  # no formula for spreadsheets
    reads = AccessLogEntry.objects.filter(kind="attendance", actor=cohost)
    assert reads.count() == 4  # two records, read twice


def test_where_the_policy_does_not_allow_it_the_hosts_do_not_see_the_list(client):
    policy = MeetingPolicy.current()
    policy.attendance_visible_to_hosts = False
    policy.save()
    meeting = ended(attendance_required=True)
    attend(meeting, "Anna Adler")
    client.force_login(meeting.host)

    detail = client.get(f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200
    assert "/attendance/" not in detail.content.decode()
    for url in ("", "?format=csv"):
        response = client.get(
            f"/meetings/live/{meeting.meeting_id}/attendance/{url}", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 403
        assert "Anna Adler" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_strangers_get_404_for_attendance_and_chat(client):
    meeting = ended(attendance_required=True, chat_stored=True)
    client.force_login(make_user("stranger"))
    for path in ("attendance/", "chat/"):
        assert client.get(f"/meetings/live/{meeting.meeting_id}/{path}").status_code == 404


def chat(meeting: Meeting, text: str, *, sent: datetime.datetime | None = None, **fields):
    message = ChatMessage.objects.create(meeting=meeting, sender_name="Anna", text=text, **fields)
    if sent is not None:
        ChatMessage.objects.filter(pk=message.pk).update(created_at=sent)
    return message


def test_the_hosts_download_the_stored_chat_within_its_retention_period(client):
    meeting = ended(chat_stored=True)
    RetentionRule.objects.filter(category="chat").delete()
    RetentionRule.objects.create(
        category="chat", counts_from="created", period_amount=30, period_unit="days"
    )
    chat(meeting, "hello everyone")
    chat(meeting, "too old", sent=now() - datetime.timedelta(days=31))
    chat(meeting, "psst", recipient_name="Ben")  # between two others: not the host's
    mine = chat(meeting, "to the host", recipient_name="Host", recipient_user=meeting.host)
    client.force_login(meeting.host)

    csv_body = client.get(f"/meetings/live/{meeting.meeting_id}/chat/").content.decode()
    text_body = client.get(f"/meetings/live/{meeting.meeting_id}/chat/?format=txt").content.decode()

    for body in (csv_body, text_body):
        assert "hello everyone" in body and "to the host" in body
        assert "too old" not in body and "psst" not in body
    reads = AccessLogEntry.objects.filter(kind="chat", actor=meeting.host)
    assert reads.count() == 4  # two messages, read twice
    assert AccessLogEntry.objects.filter(kind="chat").count() == 4 and mine.pk


def test_a_meeting_that_did_not_announce_storing_its_chat_offers_none(client):
    meeting = ended(chat_stored=False)
    chat(meeting, "left over")
    client.force_login(meeting.host)
    response = client.get(f"/meetings/live/{meeting.meeting_id}/chat/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "left over" not in response.content.decode()

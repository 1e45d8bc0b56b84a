"""Every deletion path of a recording goes through the retention engine: the file and the row
together, legal holds respected, a deletion-log entry and a journal line (docs/POLICY.md)."""

import datetime
import os

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils.timezone import now

from meetings.recordings.models import Recording
from meetings.scheduling.models import Meeting
from retention import journal
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.services import find_deletions, purge_category
from tests.factories import (
    grant_cohost,
    make_meeting,
    make_recording,
    make_user,
    pass_second_factor,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def admin_client(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pass_second_factor(client, admin_user)  # the admin requires it of superusers
    return client


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), status=Meeting.Status.ENDED)


@pytest.fixture
def recording(meeting):
    return make_recording(meeting)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_deleted_through_the_engine(recording, path, summary):
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not os.path.exists(path)
    [entry] = find_deletions(f"meetings.recording:{recording.pk}")
    assert entry.rule_summary == summary
    assert [e.category for e in journal.read()] == ["recordings"]


def test_the_host_deletes_a_recording_file_and_row(client, recording):
    path = recording.file.path
    client.force_login(recording.meeting.host)
    page = client.get(f"/meetings/recordings/{recording.pk}/delete/")
    assert page.status_code == 200
    assert "cannot be restored" in page.content.decode()

    response = client.post(f"/meetings/recordings/{recording.pk}/delete/")

    assert response.status_code == 302
    assert texts(response) == ["The recording was deleted."]
    assert_deleted_through_the_engine(recording, path, "deleted by a host")


def test_a_cohost_may_delete_too(client, recording):
    cohost = make_user("cohost")
    grant_cohost(cohost, recording.meeting)
    client.force_login(cohost)
    client.post(f"/meetings/recordings/{recording.pk}/delete/")
    assert not Recording.objects.filter(pk=recording.pk).exists()


@pytest.mark.parametrize("who", ["stranger", "viewer"])
def test_nobody_else_may_delete(client, recording, who):
    user = make_user(who)
    if who == "viewer":
        from meetings.recordings.services import grant_viewer

        grant_viewer(recording=recording, viewer=user)
    client.force_login(user)
    assert client.get(f"/meetings/recordings/{recording.pk}/delete/").status_code == 404
    assert client.post(f"/meetings/recordings/{recording.pk}/delete/").status_code == 404
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_deletion_rejects_other_methods(client, recording):
    client.force_login(recording.meeting.host)
    assert client.put(f"/meetings/recordings/{recording.pk}/delete/").status_code == 405


def test_a_legal_hold_refuses_the_hosts_deletion(client, recording):
    LegalHold.objects.create(reference=f"meetings.meeting:{recording.meeting.pk}", reason="court")
    client.force_login(recording.meeting.host)
    response = client.post(f"/meetings/recordings/{recording.pk}/delete/")
    assert texts(response) == [
        "This recording is kept under a legal hold and cannot be deleted now."
    ]
    recording.refresh_from_db()
    assert os.path.exists(recording.file.path)
    assert recording.deletion_due_at is None
    assert not DeletionLogEntry.objects.exists()


def test_the_host_deletes_a_past_meeting_with_its_recordings(client, meeting, recording):
    path = recording.file.path
    client.force_login(meeting.host)
    assert (
        "Its recordings are deleted with it"
        in client.get(f"/meetings/{meeting.meeting_id}/delete/").content.decode()
    )

    response = client.post(f"/meetings/{meeting.meeting_id}/delete/")

    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert_deleted_through_the_engine(recording, path, "deleted with its meeting by a host")


def test_a_hold_on_a_recording_keeps_the_meeting_and_everything(client, meeting, recording):
    LegalHold.objects.create(reference=f"meetings.recording:{recording.pk}", reason="court")
    client.force_login(meeting.host)
    response = client.post(f"/meetings/{meeting.meeting_id}/delete/")
    assert "kept under a legal hold" in texts(response)[0]
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert os.path.exists(Recording.objects.get(pk=recording.pk).file.path)


def test_deleting_a_series_deletes_the_recordings_of_its_occurrences(meeting, recording):
    from meetings.scheduling.models import MeetingSeries
    from meetings.scheduling.services import delete_series

    series = MeetingSeries.objects.create(
        host=meeting.host, topic="Lecture", first_start=meeting.start, frequency="weekly", count=2
    )
    Meeting.objects.filter(pk=meeting.pk).update(series=series)
    path = recording.file.path

    delete_series(series=series)

    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert not os.path.exists(path)
    assert find_deletions(f"meetings.recording:{recording.pk}")


# -- the host's retention period --------------------------------------------------------------
def need_rule():
    return RetentionRule.objects.get(category="recordings", counts_from="need_ended")


def test_the_host_keeps_a_recording_shorter_and_the_purge_follows(client, recording):
    client.force_login(recording.meeting.host)
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 3})
    assert texts(response) == ["The recording's retention period was saved."]
    recording.refresh_from_db()
    assert recording.keep_days == 3

    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(days=2))
    assert Recording.objects.filter(pk=recording.pk).exists()
    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(days=3))
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_the_host_may_keep_longer_than_the_default_up_to_the_maximum(client, recording):
    client.force_login(recording.meeting.host)
    client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 180})
    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(days=60))
    assert Recording.objects.filter(pk=recording.pk).exists()
    detail = client.get(f"/meetings/recordings/{recording.pk}/").content.decode()
    assert "At most 180 days" in detail


def test_a_period_beyond_the_maximum_is_refused_with_a_message(client, recording):
    client.force_login(recording.meeting.host)
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 181})
    assert texts(response) == ["Ensure this value is less than or equal to 180."]
    recording.refresh_from_db()
    assert recording.keep_days is None


def test_a_lowered_maximum_caps_a_period_chosen_earlier(recording):
    Recording.objects.filter(pk=recording.pk).update(keep_days=180)
    RetentionRule.objects.filter(pk=need_rule().pk).update(maximum_days=10)
    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(days=10))
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_without_a_maximum_hosts_choose_no_period(client, recording):
    RetentionRule.objects.filter(pk=need_rule().pk).update(maximum_days=None)
    client.force_login(recording.meeting.host)
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 3})
    assert texts(response) == ["The institution allows no period chosen per recording."]


def test_strangers_cannot_set_the_period(client, recording):
    client.force_login(make_user("stranger"))
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 3})
    assert response.status_code == 404


def test_garbage_is_refused_with_a_message(client, recording):
    client.force_login(recording.meeting.host)
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": "x"})
    assert response.status_code == 302
    assert texts(response) == ["Enter a whole number."]


def test_the_detail_page_tells_when_the_rules_delete_it(client, recording):
    client.force_login(recording.meeting.host)
    body = client.get(f"/meetings/recordings/{recording.pk}/").content.decode()
    assert "Deleted by the rules on" in body


# -- the admin ------------------------------------------------------------------------------
def test_the_admin_deletes_file_and_row_with_a_log_entry(admin_client, recording):
    path = recording.file.path
    response = admin_client.post(
        f"/admin/meetings/recording/{recording.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert_deleted_through_the_engine(recording, path, "deleted by an administrator")


def test_the_admin_cannot_delete_a_held_recording(admin_client, recording):
    LegalHold.objects.create(reference=f"meetings.recording:{recording.pk}", reason="court")
    response = admin_client.post(
        f"/admin/meetings/recording/{recording.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "kept under a legal hold and was not deleted" in response.content.decode()
    assert os.path.exists(Recording.objects.get(pk=recording.pk).file.path)


def test_the_admins_bulk_deletion_goes_through_the_engine(admin_client, meeting):
    free = make_recording(meeting)
    held = make_recording(meeting)
    LegalHold.objects.create(reference=f"meetings.recording:{held.pk}", reason="court")
    data = {"action": "delete_selected", "_selected_action": [free.pk, held.pk]}
    confirm = admin_client.post("/admin/meetings/recording/", data)
    assert confirm.status_code == 200  # Django's confirmation page

    response = admin_client.post("/admin/meetings/recording/", {**data, "post": "yes"}, follow=True)

    body = response.content.decode()
    assert "1 recording was deleted with its file." in body
    assert "1 recording is kept under a legal hold and was not deleted." in body
    assert not Recording.objects.filter(pk=free.pk).exists()
    assert os.path.exists(Recording.objects.get(pk=held.pk).file.path)
    assert find_deletions(f"meetings.recording:{free.pk}")


def test_the_admin_deletes_a_meeting_with_recordings_through_the_engine(admin_client, recording):
    meeting = recording.meeting
    path = recording.file.path
    page = admin_client.get(f"/admin/meetings/meeting/{meeting.pk}/delete/")
    assert page.status_code == 200
    assert "protected" not in page.content.decode()
    admin_client.post(f"/admin/meetings/meeting/{meeting.pk}/delete/", {"post": "yes"})
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert not os.path.exists(path)
    assert find_deletions(f"meetings.recording:{recording.pk}")


def test_a_recording_deleted_on_request_is_not_resurrected_half_way(recording, monkeypatch):
    """Storage down while a host deletes: the row stays with today's deletion date, and the
    nightly run finishes the deletion (rule "withdrawal of a required consent")."""
    from meetings.recordings import services

    def unreachable(pks):
        raise OSError("storage unreachable")

    monkeypatch.setattr(services, "delete_recording_files", unreachable)
    with pytest.raises(OSError):
        services.delete_recordings(pks=[recording.pk], reason=services.DELETED_BY_HOST)
    recording.refresh_from_db()
    assert recording.deletion_due_at <= now()
    monkeypatch.undo()

    purge_category(identifier="recordings")

    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_the_pages_speak_german(recording):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(recording.meeting.host)
    page = client.get(f"/meetings/recordings/{recording.pk}/delete/").content.decode()
    assert "Aufzeichnung löschen" in page
    response = client.post(f"/meetings/recordings/{recording.pk}/retention/", {"keep_days": 3})
    assert texts(response) == ["Die Aufbewahrungsdauer der Aufzeichnung wurde gespeichert."]

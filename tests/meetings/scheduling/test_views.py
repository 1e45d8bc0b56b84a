import pytest

from meetings.scheduling.models import Meeting
from tests.meetings.conftest import form_data

pytestmark = pytest.mark.django_db


def test_it_shows_the_form_with_the_institution_time_zone(host_client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    response = host_client.get("/meetings/new/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    # a text field with suggestions, not a select of some 600 zones
    assert 'name="timezone" value="Europe/Berlin"' in body
    assert 'list="id_timezone_options"' in body
    assert '<option value="Europe/Berlin">' in body
    assert '<label for="id_topic">' in body


def test_it_schedules_a_meeting(host_client, host):
    response = host_client.post("/meetings/new/", form_data(description="Week 1"))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == f"/meetings/{meeting.meeting_id}/"
    assert meeting.host == host
    assert meeting.topic == "Seminar"
    assert meeting.duration_minutes == 30
    assert meeting.expected_participants == 20
    assert meeting.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour == 10
    assert meeting.ends_at == meeting.end
    assert len(meeting.meeting_id) == 11


def test_it_reads_the_start_in_the_chosen_time_zone(host_client):
    host_client.post("/meetings/new/", form_data(timezone="America/New_York"))
    meeting = Meeting.objects.get()
    from zoneinfo import ZoneInfo

    assert meeting.timezone == "America/New_York"
    assert meeting.start.astimezone(ZoneInfo("America/New_York")).hour == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": "2020-01-01T10:00"}, "The start must be in the future."),
        ({"start": "tomorrow"}, "Enter a date and time"),
        ({"start": "2030-01-01 10:00" + " " * 10 + "x" * 100}, "Enter a date and time"),
        ({"until": "2030-31-07", "repeat": "WEEKLY"}, "Enter a date such as 31.07.2027"),
        ({"start": "12/31/2030 10:00"}, "Enter a date and time"),
        ({"duration_minutes": "0"}, "The duration must be at least one minute."),
        ({"duration_minutes": "-5"}, "The duration must be at least one minute."),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone: Mars/Olympus_Mons."),
        ({"topic": "x" * 201}, "at most 200 characters"),
        ({"description": "x" * 5001}, "at most 5000 characters"),
        ({"topic": ""}, "This field is required."),
        ({"topic": "Seminar\nBcc: x@evil.example"}, "a single line without control characters"),
        ({"topic": "Seminar\u2028two"}, "a single line without control characters"),
        ({"expected_participants": "301"}, "allows at most 300 participants"),
        ({"allowed_domains": "not a domain!"}, "Not a domain name"),
    ],
)
def test_it_refuses_bad_input_and_stores_nothing(host_client, overrides, message):
    response = host_client.post("/meetings/new/", form_data(**overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    assert Meeting.objects.count() == 0


def _local_minute(minutes_ago: int = 0) -> str:
    import datetime
    from zoneinfo import ZoneInfo

    from django.utils.timezone import now

    moment = now().astimezone(ZoneInfo("Europe/Berlin")) - datetime.timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("minutes_ago", [0, 1])
def test_a_meeting_that_starts_now_is_scheduled(host_client, minutes_ago):
    """The form gives minutes only: the current minute (or the one the form was opened in) is
    "now", not the past."""
    response = host_client.post("/meetings/new/", form_data(start=_local_minute(minutes_ago)))
    assert response.status_code == 302
    assert Meeting.objects.count() == 1


def test_a_start_well_in_the_past_is_still_refused(host_client):
    response = host_client.post(
        "/meetings/new/", form_data(start=_local_minute(30)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "The start must be in the future." in response.content.decode()


def test_it_explains_errors_in_german(host_client):
    response = host_client.post(
        "/meetings/new/", form_data(start="2020-01-01T10:00"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Der Beginn muss in der Zukunft liegen." in response.content.decode()


def test_it_refuses_a_time_skipped_by_daylight_saving(host_client):
    response = host_client.post(
        "/meetings/new/", form_data(start="2030-03-31T02:30"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "does not exist in Europe/Berlin" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_basic_host_sees_the_time_limit(client, student_host):
    client.force_login(student_host)
    body = client.get("/meetings/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your Basic licence limits each meeting to 40 minutes." in body


def test_a_basic_host_cannot_exceed_the_time_limit(client, student_host):
    client.force_login(student_host)
    response = client.post(
        "/meetings/new/", form_data(duration_minutes="41"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Your Basic licence limits meetings to 40 minutes." in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_basic_host_cannot_expect_more_than_the_capacity(client, student_host):
    client.force_login(student_host)
    response = client.post(
        "/meetings/new/", form_data(expected_participants="101"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "allows at most 100 participants" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_basic_host_schedules_within_the_limit(client, student_host):
    client.force_login(student_host)
    response = client.post("/meetings/new/", form_data(duration_minutes="40"))
    assert response.status_code == 302
    assert Meeting.objects.get().duration_minutes == 40


def test_the_meeting_page_shows_a_basic_hosts_time_limit(client, student_host):
    client.force_login(student_host)
    client.post("/meetings/new/", form_data(duration_minutes="40"))
    meeting = Meeting.objects.get()
    body = client.get(f"/meetings/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en").content
    assert "Time limit of the host's Basic licence: 40 minutes." in body.decode()


def test_a_guest_may_not_schedule(client, outsider):
    client.force_login(outsider)
    assert client.get("/meetings/new/").status_code == 403
    assert client.post("/meetings/new/", form_data()).status_code == 403
    assert not Meeting.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, demo_institution):
    response = client.get("/meetings/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_it_rejects_wrong_methods(host_client):
    assert host_client.put("/meetings/new/").status_code == 405
    assert host_client.post("/meetings/").status_code == 405


def test_it_edits_a_meeting(host_client, meeting):
    data = form_data(topic="Changed", duration_minutes="45")
    response = host_client.post(f"/meetings/{meeting.meeting_id}/edit/", data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "Changed"
    assert meeting.duration_minutes == 45
    assert meeting.ends_at == meeting.end


def test_an_edit_with_bad_input_changes_nothing(host_client, meeting):
    response = host_client.post(
        f"/meetings/{meeting.meeting_id}/edit/",
        form_data(topic="Changed", duration_minutes="0"),
    )
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.topic == "Seminar"


def test_it_deletes_a_meeting_after_confirmation(host_client, meeting):
    page = host_client.get(f"/meetings/{meeting.meeting_id}/delete/")
    assert page.status_code == 200
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    response = host_client.post(f"/meetings/{meeting.meeting_id}/delete/")
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


def test_it_refuses_to_delete_a_running_meeting(host_client, meeting):
    meeting.status = Meeting.Status.RUNNING
    meeting.save()
    response = host_client.post(f"/meetings/{meeting.meeting_id}/delete/", follow=True)
    assert "End the meeting before deleting it." in response.content.decode() or (
        "Beenden Sie" in response.content.decode()
    )
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_an_ended_meeting_cannot_be_edited(host_client, meeting):
    meeting.status = Meeting.Status.ENDED
    meeting.save()
    response = host_client.post(f"/meetings/{meeting.meeting_id}/edit/", form_data(topic="Changed"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "Seminar"

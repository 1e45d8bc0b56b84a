import logging

import pytest
from django.db import connection

from meetings.scheduling import passcodes
from meetings.scheduling.models import Meeting, MeetingPolicy
from tests.meetings.conftest import form_data

pytestmark = pytest.mark.django_db


def raw_row(meeting: Meeting) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {Meeting._meta.db_table} WHERE id = %s",  # noqa: S608
            [meeting.pk],
        )
        return repr(cursor.fetchone())


def test_it_generates_a_passcode_when_the_host_gives_none(host_client):
    host_client.post("/meetings/new/", form_data(passcode=""))
    meeting = Meeting.objects.get()
    assert len(meeting.passcode) == passcodes.GENERATED_PASSCODE_LENGTH
    assert set(meeting.passcode) <= set(passcodes.PASSCODE_ALPHABET)


def test_it_keeps_a_good_host_passcode(host_client):
    host_client.post("/meetings/new/", form_data(passcode="Tulpe-4711"))
    assert Meeting.objects.get().passcode_matches("Tulpe-4711")


def test_the_plaintext_never_reaches_the_database_row(host_client):
    host_client.post("/meetings/new/", form_data(passcode="Tulpe-4711"))
    meeting = Meeting.objects.get()
    row = raw_row(meeting)
    assert "Tulpe-4711" not in row
    assert meeting.passcode_encrypted in row


@pytest.mark.parametrize(
    ("passcode", "message"),
    [
        ("abc12", "at least 8 characters"),
        ("11111111", "must not repeat a single character"),
        ("aaaaaaaaaa", "must not repeat a single character"),
        ("with space1", "must not contain spaces"),
        ("x" * 33, "at most 32 characters"),
    ],
)
def test_it_refuses_a_weak_passcode_and_stores_nothing(host_client, passcode, message):
    response = host_client.post(
        "/meetings/new/", form_data(passcode=passcode), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("passcode", "reason"),
    [
        ("12345678", "a sequence, a keyboard row or a repeated pattern"),
        ("87654321", "a sequence, a keyboard row or a repeated pattern"),
        ("abcdefgh", "a sequence, a keyboard row or a repeated pattern"),
        ("qwertzuiop", "a sequence, a keyboard row or a repeated pattern"),
        ("zxcvbnm1", "a sequence, a keyboard row or a repeated pattern"),
        ("abcabcabc", "a sequence, a keyboard row or a repeated pattern"),
        ("12121212", "a sequence, a keyboard row or a repeated pattern"),
        ("password", "a common password or word"),
        ("Passw0rd!", "a common password or word"),
        ("P@ssw0rd", "a common password or word"),
        ("Sommer2026", "a common password or word"),
        ("Zoom2026!", "a common password or word"),
        ("Willkommen1", "a common password or word"),
        ("48291573", "make it longer"),
        ("kuchenba", "make it longer"),
    ],
)
def test_it_refuses_a_passcode_that_is_easy_to_guess(host_client, passcode, reason):
    response = host_client.post(
        "/meetings/new/", form_data(passcode=passcode), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "too easy to guess" in body
    assert reason in body
    assert not Meeting.objects.exists()


def test_the_refusal_is_german_for_a_german_host(host_client):
    response = host_client.post(
        "/meetings/new/", form_data(passcode="Passw0rd!"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    assert "zu leicht zu erraten" in response.content.decode()
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    "passcode", ["Tulpe-4711", "Neu-Kurs-99", "x7#Lq2vR", "482915736041", "kY8pQ3zW"]
)
def test_it_accepts_a_passcode_that_is_hard_to_guess(host_client, passcode):
    host_client.post("/meetings/new/", form_data(passcode=passcode))
    assert Meeting.objects.get().passcode_matches(passcode)


def test_it_uses_the_policy_minimum_length(host_client):
    policy = MeetingPolicy.current()
    policy.minimum_passcode_length = 12
    policy.save()
    response = host_client.post(
        "/meetings/new/", form_data(passcode="Tulpe-4711"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "at least 12 characters" in response.content.decode()
    assert not Meeting.objects.exists()


def test_it_refuses_the_meeting_id_as_passcode(host_client, meeting):
    response = host_client.post(
        f"/meetings/{meeting.meeting_id}/edit/",
        form_data(passcode=meeting.meeting_id),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "must not be the meeting ID" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.passcode == "Raum7-Kurs-26"


def test_the_passcode_cannot_be_removed(host_client, meeting):
    response = host_client.post(f"/meetings/{meeting.meeting_id}/edit/", form_data(passcode=""))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.passcode == "Raum7-Kurs-26"


def test_the_host_can_change_the_passcode(host_client, meeting):
    host_client.post(f"/meetings/{meeting.meeting_id}/edit/", form_data(passcode="Neu-Kurs-99"))
    meeting.refresh_from_db()
    assert meeting.passcode == "Neu-Kurs-99"
    assert "Neu-Kurs-99" not in raw_row(meeting)


def test_the_passcode_stays_out_of_titles_urls_and_logs(host_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = host_client.post("/meetings/new/", form_data(passcode="Tulpe-4711"), follow=True)
    body = response.content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert "Tulpe-4711" in body  # the host sees it on the meeting page
    assert "Tulpe-4711" not in title
    assert all("Tulpe-4711" not in url for url, _status in response.redirect_chain)
    assert "Tulpe-4711" not in caplog.text
    meeting = Meeting.objects.get()
    # the only URL that carries it is the join link, in its fragment
    assert meeting.join_url().endswith("#passcode=Tulpe-4711")
    links = [part.split('"')[0] for part in body.split('href="')[1:]]
    assert [link for link in links if "Tulpe-4711" in link] == [meeting.join_url()]


def test_generated_meeting_ids_are_random_and_unique(host):
    from meetings.scheduling import services
    from tests.meetings.conftest import details

    ids = [services.schedule_meeting(host=host, details=details()).meeting_id for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(len(value) == 11 and value.isdigit() for value in ids)
    numbers = sorted(int(value) for value in ids)
    assert any(b - a > 1000 for a, b in zip(numbers, numbers[1:], strict=False))

"""The join page: the passcode first, identical answers until it is right, rate limits that
never lock out the right passcode."""

import re

import pytest
from django.test import Client, override_settings
from guardian.shortcuts import assign_perm

from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.scheduling.models import Meeting
from tests.factories import PASSCODE, make_participant, make_user

pytestmark = pytest.mark.django_db


def post_join(client: Client, meeting_id: str, passcode: str = PASSCODE, name: str = "Gast"):
    return client.post(
        "/meetings/join/",
        {
            "meeting_id": meeting_id,
            "passcode": passcode,
            "display_name": name,
            "age_confirmed": "on",
        },
    )


def test_it_shows_the_join_form(client):
    response = client.get("/meetings/join/")
    assert response.status_code == 200
    assert b'name="meeting_id"' in response.content
    assert b'name="passcode"' in response.content


def without_tokens(response, meeting_id: str) -> str:
    body = response.content.decode().replace(meeting_id, "MEETING-ID")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", body)


def test_the_link_page_looks_the_same_for_any_meeting_id(client, make_meeting):
    meeting = make_meeting(recording_announced=True, authenticated_only=True)
    real = client.get(f"/meetings/join/{meeting.meeting_id}/")
    fake = client.get("/meetings/join/12345678901/")
    assert real.status_code == fake.status_code == 200
    assert b"join.js" in real.content
    assert PASSCODE.encode() not in real.content
    assert without_tokens(real, meeting.meeting_id) == without_tokens(fake, "12345678901")


def test_it_rejects_put(client):
    assert client.put("/meetings/join/").status_code == 405


def test_it_lets_a_guest_into_the_waiting_room(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    response = post_join(client, meeting.meeting_id, name="  Gast   Eins ")
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/live/{meeting.meeting_id}/"
    participant = Participant.objects.get(meeting=meeting)
    assert participant.state == Participant.State.WAITING
    assert participant.user is None
    assert participant.display_name == "Gast Eins"
    assert client.session[guest_session_key(meeting)] == participant.guest_key


def test_meeting_ids_may_be_written_in_groups(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    spaced = f"{meeting.meeting_id[:3]} {meeting.meeting_id[3:7]} {meeting.meeting_id[7:]}"
    assert post_join(client, spaced).status_code == 302
    assert Participant.objects.filter(meeting=meeting).count() == 1


def test_a_member_may_choose_a_pseudonym(client, meeting, member):
    client.force_login(member)
    response = post_join(client, meeting.meeting_id, name="Kermit")
    assert response.status_code == 302
    participant = Participant.objects.get(meeting=meeting, user=member)
    assert participant.display_name == "Kermit"


def test_a_member_without_a_chosen_name_appears_by_account_name(client, meeting, member):
    client.force_login(member)
    assert post_join(client, meeting.meeting_id, name="").status_code == 302
    assert Participant.objects.get(meeting=meeting).display_name == "Mia Member"


def test_a_guest_must_give_a_name(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    response = post_join(client, meeting.meeting_id, name="")
    assert response.status_code == 200
    assert b"field--error" in response.content
    assert not Participant.objects.exists()


def test_without_waiting_room_a_participant_enters_at_once(client, make_meeting, member):
    meeting = make_meeting(waiting_room=False)
    client.force_login(member)
    post_join(client, meeting.meeting_id)
    assert Participant.objects.get(meeting=meeting).state == Participant.State.ADMITTED


def test_a_wrong_passcode_and_a_wrong_meeting_id_get_the_same_answer(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    wrong_passcode = post_join(client, meeting.meeting_id, passcode="WRONG123")
    wrong_id = post_join(client, "10000000000")
    assert wrong_passcode.status_code == wrong_id.status_code == 200
    assert b"The meeting ID or the passcode is not right." in wrong_passcode.content

    def error_part(response):
        return response.content.split(b'id="error-summary"')[1].split(b"</div>")[0]

    assert error_part(wrong_passcode) == error_part(wrong_id)
    assert not Participant.objects.exists()


def test_it_refuses_a_meeting_that_has_not_started(client, make_meeting, member):
    meeting = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    client.force_login(member)
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 200
    assert b"has not started yet" in response.content
    assert not Participant.objects.exists()


def test_not_started_shows_the_start_and_tells_the_page_once_it_starts(
    client, make_meeting, member
):
    meeting = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    client.force_login(member)
    status_url = f"/meetings/join/{meeting.meeting_id}/started/"
    assert client.get(status_url).status_code == 404  # no passcode given yet: nothing told
    body = post_join(client, meeting.meeting_id).content.decode()
    assert "It is planned to start at" in body
    assert meeting.timezone in body
    assert f'hx-get="{status_url}"' in body
    assert 'id="join-form"' in body
    waiting = client.get(status_url)
    assert waiting.status_code == 204
    assert "HX-Trigger" not in waiting
    meeting.status = Meeting.Status.RUNNING
    meeting.save()
    started = client.get(status_url)
    assert started.status_code == 200
    assert started["HX-Trigger"] == "meeting-started"


def test_the_start_check_tells_nothing_about_another_meeting(client, make_meeting, member):
    first = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    other = make_meeting(status=Meeting.Status.SCHEDULED, started_at=None)
    client.force_login(member)
    post_join(client, first.meeting_id)
    assert client.get(f"/meetings/join/{other.meeting_id}/started/").status_code == 404


def test_a_member_who_joins_before_the_host_starts_the_meeting(client, make_meeting, member):
    meeting = make_meeting(
        status=Meeting.Status.SCHEDULED, started_at=None, join_before_host=True, waiting_room=False
    )
    client.force_login(member)
    assert post_join(client, meeting.meeting_id).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING
    assert meeting.started_at is not None


def test_it_refuses_an_ended_meeting(client, make_meeting, member):
    meeting = make_meeting(status=Meeting.Status.ENDED)
    client.force_login(member)
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"has ended" in response.content


def test_it_asks_guests_to_log_in_for_members_only_meetings(client, meeting):
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"Please log in first" in response.content
    assert b"/accounts/login/?next=/meetings/join/" in response.content
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Meeting.Status.SCHEDULED, "started_at": None},
        {"status": Meeting.Status.ENDED},
        {"authenticated_only": True},
        {"locked": True},
        {"allowed_domains": ["other.example"]},
        {"recording_announced": True},
    ],
)
def test_a_wrong_passcode_tells_nothing_about_the_meeting(client, make_meeting, fields):
    """Until the passcode is right, every meeting answers like a meeting that does not exist:
    same status, same page, and the attempt is counted."""
    meeting = make_meeting(**fields)
    wrong = post_join(client, meeting.meeting_id, passcode="WRONG123")
    nowhere = post_join(Client(REMOTE_ADDR="10.7.7.7"), "10000000000", passcode="WRONG123")
    assert wrong.status_code == nowhere.status_code == 200
    assert without_tokens(wrong, meeting.meeting_id) == without_tokens(nowhere, "10000000000")
    assert not Participant.objects.exists()


def test_login_is_asked_for_once_the_passcode_is_right(client, meeting):
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"Please log in first" in response.content


def test_it_refuses_an_email_domain_that_is_not_allowed(client, make_meeting, licences):
    meeting = make_meeting(allowed_domains=["partner.example"])
    client.force_login(make_user("eve", email="eve@elsewhere.example", role=licences["student"]))
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"may not join this meeting" in response.content
    assert not Participant.objects.exists()


def test_a_partner_domain_adds_to_the_institutions_own(client, make_meeting, member, licences):
    """The meeting's further allowed domains let partners in and never lock the institution's
    own people out."""
    meeting = make_meeting(allowed_domains=["partner.example"])
    client.force_login(member)  # member@uni.example, the institution's own domain
    assert post_join(client, meeting.meeting_id).status_code == 302
    partner = Client()
    partner.force_login(make_user("pia", email="pia@partner.example", role=licences["student"]))
    assert post_join(partner, meeting.meeting_id).status_code == 302
    guest = Client()
    assert post_join(guest, meeting.meeting_id).status_code == 403  # no account, no domain


def test_it_refuses_a_locked_meeting(client, make_meeting, member):
    meeting = make_meeting(locked=True)
    client.force_login(member)
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"The meeting is locked" in response.content
    assert not Participant.objects.exists()


def test_the_host_enters_a_locked_meeting(client, make_meeting, host):
    meeting = make_meeting(locked=True)
    client.force_login(host)
    assert post_join(client, meeting.meeting_id).status_code == 302
    participant = Participant.objects.get(meeting=meeting)
    assert participant.is_host and participant.state == Participant.State.ADMITTED


def test_it_refuses_when_the_hosts_licence_capacity_is_reached(client, make_meeting, licences):
    licences["business"].max_participants = 2
    licences["business"].save()
    meeting = make_meeting(authenticated_only=False)
    for name in ("A", "B"):
        make_participant(meeting, name=name)
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"The meeting is full" in response.content
    assert Participant.objects.filter(meeting=meeting).count() == 2


def test_a_removed_participant_cannot_rejoin(client, meeting, member):
    make_participant(meeting, user=member, name="Mia", state=Participant.State.REMOVED)
    client.force_login(member)
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 403
    assert b"cannot rejoin" in response.content
    assert Participant.objects.get(meeting=meeting).state == Participant.State.REMOVED


def test_a_co_host_enters_without_waiting(client, meeting, member):
    assign_perm("meetings.host_meeting", member, meeting)
    client.force_login(member)
    post_join(client, meeting.meeting_id)
    participant = Participant.objects.get(meeting=meeting)
    assert participant.is_host and participant.state == Participant.State.ADMITTED


def test_the_link_page_joins_that_meeting(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    response = client.post(
        f"/meetings/join/{meeting.meeting_id}/",
        {
            "meeting_id": "99999999999",
            "passcode": PASSCODE,
            "display_name": "Gast",
            "age_confirmed": "on",
        },
    )
    assert response.status_code == 302
    assert Participant.objects.filter(meeting=meeting).count() == 1


def test_wrong_passcodes_from_elsewhere_never_lock_out_the_right_passcode(make_meeting):
    meeting = make_meeting(authenticated_only=False)
    for number in range(50):
        client = Client(REMOTE_ADDR=f"10.0.{number // 10}.{number % 10}")
        assert post_join(client, meeting.meeting_id, passcode="WRONG123").status_code == 200
    response = post_join(Client(REMOTE_ADDR="10.0.9.1"), meeting.meeting_id)
    assert response.status_code == 302
    assert Participant.objects.count() == 1


def test_ten_wrong_passcodes_block_that_client_at_that_meeting_for_an_hour(make_meeting):
    meeting = make_meeting(authenticated_only=False)
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _attempt in range(10):
        assert post_join(client, meeting.meeting_id, passcode="WRONG123").status_code == 200
    # even the right passcode is refused now, from that client, at that meeting
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert not Participant.objects.exists()


def test_an_ipv6_network_counts_as_one_client(make_meeting):
    meeting = make_meeting(authenticated_only=False)
    for number in range(10):
        client = Client(REMOTE_ADDR=f"2001:db8:1:2::{number + 1:x}")
        post_join(client, meeting.meeting_id, passcode="WRONG123")
    assert (
        post_join(Client(REMOTE_ADDR="2001:db8:1:2::ffff"), meeting.meeting_id).status_code == 429
    )
    assert post_join(Client(REMOTE_ADDR="2001:db8:1:3::1"), meeting.meeting_id).status_code == 302


def test_a_client_is_capped_across_meetings(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    for number in range(30):
        post_join(client, f"1{number:010d}")
    response = post_join(client, meeting.meeting_id)
    assert response.status_code == 429
    assert not Participant.objects.exists()
    # another client is not affected
    assert post_join(Client(REMOTE_ADDR="10.9.9.9"), meeting.meeting_id).status_code == 302


@override_settings(TRUSTED_PROXY=True)
def test_behind_a_trusted_proxy_the_forwarded_address_counts(make_meeting):
    meeting = make_meeting(authenticated_only=False)
    for number in range(30):
        Client(HTTP_X_FORWARDED_FOR="192.0.2.7").post(
            "/meetings/join/",
            {
                "meeting_id": f"2{number:010d}",
                "passcode": "x",
                "display_name": "G",
                "age_confirmed": "on",
            },
        )
    blocked = Client(HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert post_join(blocked, meeting.meeting_id).status_code == 429
    assert (
        post_join(Client(HTTP_X_FORWARDED_FOR="192.0.2.8"), meeting.meeting_id).status_code == 302
    )


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(make_meeting):
    meeting = make_meeting(authenticated_only=False)
    for number in range(30):
        Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{number}").post(
            "/meetings/join/",
            {
                "meeting_id": f"3{number:010d}",
                "passcode": "x",
                "display_name": "G",
                "age_confirmed": "on",
            },
        )
    assert (
        post_join(Client(HTTP_X_FORWARDED_FOR="192.0.2.99"), meeting.meeting_id).status_code == 429
    )


def test_the_join_page_speaks_german_to_german_browsers(client):
    response = client.get("/meetings/join/", HTTP_ACCEPT_LANGUAGE="de")
    assert b"Kenncode" in response.content
    assert b"Teilnehmen" in response.content

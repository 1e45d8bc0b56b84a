"""The private withdrawal link: handed over at consent (shown, mailed), works without an
account during and after the meeting; "I refuse" after "I consent" is a withdrawal."""

import datetime

import pytest
from django.core import mail
from django.test import Client

from consent.models import ConsentDecision, RecordingConsentBasis
from consent.services import record_decision
from meetings.live.selectors import guest_session_key
from meetings.live.services import end_meeting
from meetings.recordings.models import Recording, RecordingSession
from tests.factories import (
    admit,
    admit_guest,
    make_meeting,
    make_recording,
    make_user,
    published_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), recording_announced=True)


def guest_client(meeting, guest) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    session = client.session
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()
    return client


def give_as_guest(meeting, **data):
    published_text()
    guest = admit_guest(meeting, "k" * 32, name="Guest Gina")
    client = guest_client(meeting, guest)
    response = client.post(
        f"/consent/meetings/{meeting.meeting_id}/", {"decision": "give", **data}, follow=True
    )
    return guest, client, response


def link_from(response) -> str:
    page = response.content.decode()
    start = page.index("/consent/withdraw/")
    return page[start : page.index('"', start)]


def rest_recording_on(decision, meeting) -> Recording:
    recording = make_recording(meeting)
    RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name="Guest Gina"
    )
    return recording


def test_giving_consent_shows_a_private_withdrawal_link(meeting):
    _guest, _client, response = give_as_guest(meeting)
    link = link_from(response)
    decision = ConsentDecision.objects.get()
    key = link.rstrip("/").rsplit("/", 1)[-1]
    assert len(key) >= 40
    assert decision.withdrawal_key_hash == ConsentDecision.hash_withdrawal_key(key)
    assert key not in decision.withdrawal_key_hash  # only the hash is stored


def test_the_link_is_mailed_to_the_address_a_guest_gave_and_not_stored(meeting):
    _guest, _client, response = give_as_guest(meeting, email="gina@partner.example")
    assert [m.to for m in mail.outbox] == [["gina@partner.example"]]
    assert link_from(response) in mail.outbox[0].body
    assert not ConsentDecision.objects.filter(audience__contains="gina").exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM consent_consentdecision WHERE subject_ref LIKE '%%gina%%'"
        )
        assert cursor.fetchone()[0] == 0


def test_a_member_gets_the_link_by_mail(client, meeting):
    published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)
    client.post(f"/consent/meetings/{meeting.meeting_id}/", {"decision": "give"})
    assert [m.to for m in mail.outbox] == [["anna@uni.example"]]
    assert "/consent/withdraw/" in mail.outbox[0].body


def test_a_guest_withdraws_through_the_link_after_the_meeting_ended(meeting, settings):
    _guest, _client, response = give_as_guest(meeting)
    link = link_from(response)
    decision = ConsentDecision.objects.get()
    recording = rest_recording_on(decision, meeting)
    end_meeting(meeting=meeting)

    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")  # no account, no session of the meeting
    page = stranger.get(link)
    assert page.status_code == 200
    assert "This consent is in force." in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    response = stranger.post(link, follow=True)

    assert "Your consent was withdrawn." in response.content.decode()
    decision.refresh_from_db()
    recording.refresh_from_db()
    assert decision.withdrawn_at is not None
    assert recording.deletion_due_at == decision.withdrawn_at + datetime.timedelta(
        days=settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS
    )
    assert "deleted on" in response.content.decode()


def test_withdrawing_twice_through_the_link_changes_nothing(meeting):
    _guest, _client, response = give_as_guest(meeting)
    link = link_from(response)
    Client().post(link)
    withdrawn_at = ConsentDecision.objects.get().withdrawn_at
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(link, follow=True)
    assert "already been withdrawn" in response.content.decode()
    assert ConsentDecision.objects.get().withdrawn_at == withdrawn_at


def test_an_unknown_or_forged_key_answers_404(meeting):
    give_as_guest(meeting)
    assert Client().get("/consent/withdraw/not-a-key/").status_code == 404
    assert Client().post("/consent/withdraw/" + "x" * 43 + "/").status_code == 404
    assert Client().get("/consent/withdraw/" + "x" * 300 + "/").status_code == 404


def test_the_link_rejects_put(meeting):
    _guest, _client, response = give_as_guest(meeting)
    assert Client().put(link_from(response)).status_code == 405


def test_refusing_after_consenting_withdraws_the_consent(meeting):
    text = published_text()
    guest = admit_guest(meeting, "r" * 32, name="Guest Rita")
    given = record_decision(participant=guest, text=text, given=True, method="web")
    recording = rest_recording_on(given, meeting)

    record_decision(participant=guest, text=text, given=False, method="web")

    given.refresh_from_db()
    recording.refresh_from_db()
    assert given.withdrawn_at is not None
    assert recording.deletion_due_at is not None
    assert ConsentDecision.objects.filter(given=False).count() == 1


def test_refusing_during_the_recording_stops_it(meeting):
    text = published_text()
    anna = make_user("anna")
    participant = admit(meeting, anna)
    given = record_decision(participant=participant, text=text, given=True, method="web")
    session = RecordingSession.objects.create(meeting=meeting, started_by=meeting.host)
    RecordingConsentBasis.objects.create(session=session, decision=given, display_name="Anna")

    record_decision(participant=participant, text=text, given=False, method="meeting")

    session.refresh_from_db()
    assert session.stopped_at is not None
    assert session.stop_reason == RecordingSession.StopReason.CONSENT_WITHDRAWN
    assert session.deletion_due_at is not None


def test_a_refusal_hands_over_no_link(meeting):
    published_text()
    guest = admit_guest(meeting, "n" * 32, name="Guest Nora")
    response = guest_client(meeting, guest).post(
        f"/consent/meetings/{meeting.meeting_id}/", {"decision": "refuse"}, follow=True
    )
    assert "/consent/withdraw/" not in response.content.decode()
    assert ConsentDecision.objects.get().withdrawal_key_hash == ""

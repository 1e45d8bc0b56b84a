"""Consent wired to the rest of the portal: announcement on the join and waiting pages,
invitees and co-hosts deciding before the meeting, series consent across occurrences."""

import datetime

import pytest
from django.utils.timezone import now

from consent.models import ConsentDecision
from consent.selectors import consent_of_participants
from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.recordings.services import start_recording
from meetings.scheduling.models import Invitation, Meeting, MeetingSeries
from tests.factories import (
    admit,
    grant_cohost,
    make_meeting,
    make_participant,
    make_user,
    published_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def consent_url(meeting):
    return f"/consent/meetings/{meeting.meeting_id}/"


# announcement ---------------------------------------------------------------------------------
def test_the_join_link_tells_nothing_about_a_planned_recording_before_the_passcode(client):
    """A join link is no oracle: whether a meeting exists or plans a recording shows only to
    someone with its passcode (on the waiting page and in the room)."""
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)

    page = client.get(f"/meetings/join/{meeting.meeting_id}/").content.decode()

    assert "planned to be recorded" not in page


def test_the_room_announces_a_planned_recording(client):
    text = published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)
    guest = make_participant(
        meeting, name="Gina", guest_key="gina-key", state=Participant.State.ADMITTED
    )
    session = client.session
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()

    page = client.get(f"/meetings/live/{meeting.meeting_id}/").content.decode()

    assert "This meeting is planned to be recorded" in page
    assert f'href="/consent/text/{text.version}/"' in page
    assert f'href="{consent_url(meeting)}"' in page


def test_the_join_link_says_nothing_without_a_planned_recording(client):
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=False)
    page = client.get(f"/meetings/join/{meeting.meeting_id}/").content.decode()
    assert "planned to be recorded" not in page


def test_the_waiting_page_announces_a_planned_recording(client):
    published_text()
    meeting = make_meeting(
        make_user("host"),
        recording_announced=True,
        status=Meeting.Status.RUNNING,
        started_at=now(),
    )
    guest = make_participant(meeting, name="Gina", guest_key="gina-key")
    session = client.session
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()

    page = client.get(f"/meetings/live/{meeting.meeting_id}/").content.decode()

    assert "Please wait" in page
    assert "This meeting is planned to be recorded" in page


# invitees and co-hosts before the meeting -----------------------------------------------------
def test_an_invited_member_gives_consent_before_the_meeting(client):
    published_text()
    meeting = make_meeting(make_user("host"))
    anna = make_user("anna", email="Anna@uni.example")
    Invitation.objects.create(meeting=meeting, email="anna@uni.example")
    client.force_login(anna)

    assert client.get(consent_url(meeting)).status_code == 200
    response = client.post(consent_url(meeting), {"decision": "give", "method": "web"}, follow=True)

    assert "Thank you: you consented to the recording." in response.content.decode()
    decision = ConsentDecision.objects.get()
    assert decision.user == anna and decision.given and decision.meeting == meeting
    assert not Participant.objects.exists()  # deciding does not enter the meeting
    # the decision counts once the invitee joins
    joined = admit(meeting, anna)
    assert consent_of_participants(meeting=meeting, participants=[joined])[joined.pk] == decision


def test_a_cohost_may_decide_before_the_meeting(client):
    published_text()
    meeting = make_meeting(make_user("host"))
    cohost = make_user("cora")
    grant_cohost(cohost, meeting)
    client.force_login(cohost)

    client.post(consent_url(meeting), {"decision": "refuse", "method": "web"})

    assert ConsentDecision.objects.get().given is False


def test_an_invitation_to_another_meeting_does_not_count(client):
    published_text()
    host = make_user("host")
    meeting, other = make_meeting(host), make_meeting(host)
    anna = make_user("anna")
    Invitation.objects.create(meeting=other, email=anna.email)
    client.force_login(anna)

    assert client.get(consent_url(meeting)).status_code == 404
    assert client.post(consent_url(meeting), {"decision": "give"}).status_code == 404
    assert not ConsentDecision.objects.exists()


def test_an_invitee_of_an_ended_meeting_gets_404(client):
    published_text()
    meeting = make_meeting(make_user("host"), status=Meeting.Status.ENDED)
    anna = make_user("anna")
    Invitation.objects.create(meeting=meeting, email=anna.email)
    client.force_login(anna)
    assert client.get(consent_url(meeting)).status_code == 404


# series -----------------------------------------------------------------------------------------
@pytest.fixture
def series_meetings():
    host = make_user("host")
    start = now() + datetime.timedelta(days=1)
    series = MeetingSeries.objects.create(
        host=host,
        topic="Lecture",
        frequency="weekly",
        first_start=start,
        timezone="Europe/Berlin",
        count=2,
    )
    first = make_meeting(host, series=series, start=start, recording_announced=True)
    second = make_meeting(
        host, series=series, start=start + datetime.timedelta(days=7), recording_announced=True
    )
    return series, first, second


def test_the_consent_page_offers_the_whole_series(client, series_meetings):
    published_text()
    _series, first, _second = series_meetings
    anna = make_user("anna")
    make_participant(first, user=anna)
    client.force_login(anna)

    page = client.get(consent_url(first)).content.decode()

    assert "for the whole lecture series" in page


def test_a_series_consent_lets_every_occurrence_record(client, series_meetings):
    published_text()
    series, first, second = series_meetings
    anna = make_user("anna")
    make_participant(first, user=anna)
    client.force_login(anna)

    client.post(consent_url(first), {"decision": "give", "method": "web", "for_series": "on"})

    decision = ConsentDecision.objects.get()
    assert decision.series_key == f"series:{series.pk}"
    second.status = Meeting.Status.RUNNING
    second.save()
    admit(second, anna)
    session = start_recording(meeting=second, by=second.host)  # no refusal: consent covers it
    assert list(session.consent_basis.values_list("decision", flat=True)) == [decision.pk]


def test_a_meeting_outside_the_series_is_not_covered(client, series_meetings):
    published_text()
    _series, first, _second = series_meetings
    anna = make_user("anna")
    make_participant(first, user=anna)
    client.force_login(anna)
    client.post(consent_url(first), {"decision": "give", "for_series": "on"})

    lone = make_meeting(first.host)
    in_lone = admit(lone, anna)
    assert consent_of_participants(meeting=lone, participants=[in_lone])[in_lone.pk] is None


# who hears about decisions -----------------------------------------------------------------------
def test_only_the_hosts_hear_who_decided(monkeypatch, django_capture_on_commit_callbacks):
    from consent import services
    from meetings.live.broadcast import AUDIENCE_HOSTS, groups_for

    sent = []
    monkeypatch.setattr(
        services, "broadcast_to_meeting", lambda pk, event, **payload: sent.append((pk, payload))
    )
    meeting = make_meeting(make_user("host"))
    anna = admit(meeting, make_user("anna"))

    with django_capture_on_commit_callbacks(execute=True):
        services.record_decision(participant=anna, text=published_text(), given=False, method="web")

    ((meeting_pk, payload),) = sent
    assert payload["audience"] == AUDIENCE_HOSTS
    assert groups_for(meeting_pk, payload) == [f"meeting-{meeting.pk}-hosts"]

"""The recording inside the live room: admission while recording, the indicator, ask again."""

import pytest
from django.urls import reverse
from django.utils.timezone import now

from meetings.live import broadcast as live
from meetings.live import services as services_live
from meetings.live.models import Participant
from tests.factories import (
    PASSCODE,
    decide,
    make_participant,
    published_text,
    remember_guest,
    start_recording,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    events = []
    monkeypatch.setattr(
        live, "broadcast_to_meeting", lambda pk, event, **payload: events.append((event, payload))
    )
    return events


def test_admit_all_holds_those_without_consent_while_recording(
    meeting, host_participant, sent, django_capture_on_commit_callbacks
):
    text = published_text()
    anna, ben = make_participant(meeting, name="Anna"), make_participant(meeting, name="Ben")
    decide(anna, text)
    session = start_recording(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        count = services_live.admit_participants(actor=host_participant)

    assert count == 1
    anna.refresh_from_db(), ben.refresh_from_db()
    assert anna.state == Participant.State.ADMITTED
    assert ben.state == Participant.State.WAITING
    held = [payload for event, payload in sent if event == "recording.held"]
    assert held == [
        {
            "participant_ids": [ben.pk],
            "consent_url": f"/consent/meetings/{meeting.meeting_id}/?via=meeting",
        }
    ]
    to_hosts = [payload for event, payload in sent if event == "admission_held"]
    assert to_hosts == [{"audience": live.AUDIENCE_HOSTS, "held": [{"id": ben.pk, "name": "Ben"}]}]
    # the admitted one's consent joins the evidence the recording rests on
    assert list(session.consent_basis.values_list("display_name", flat=True)) == ["Anna"]


def test_admit_one_without_consent_while_recording_admits_nobody(
    meeting, host_participant, sent, django_capture_on_commit_callbacks
):
    published_text()
    ben = make_participant(meeting, name="Ben")
    start_recording(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        count = services_live.admit_participants(actor=host_participant, participant_pks=[ben.pk])

    assert count == 0
    ben.refresh_from_db()
    assert ben.state == Participant.State.WAITING
    assert "admitted" not in [event for event, _payload in sent]


def test_without_a_recording_everyone_is_admitted(meeting, host_participant):
    published_text()
    ben = make_participant(meeting, name="Ben")
    recording_stopped = start_recording(meeting)
    recording_stopped.stopped_at = now()
    recording_stopped.save()

    assert services_live.admit_participants(actor=host_participant) == 1
    ben.refresh_from_db()
    assert ben.state == Participant.State.ADMITTED


def test_without_waiting_room_a_participant_without_consent_waits_while_recording(
    make_meeting, client
):
    meeting = make_meeting(waiting_room=False, authenticated_only=False)
    published_text()
    start_recording(meeting)

    result = services_live.join_meeting(
        meeting=meeting, user=None, passcode=PASSCODE, display_name="Gina"
    )

    result.participant.refresh_from_db()
    assert result.participant.state == Participant.State.WAITING


def test_the_waiting_page_says_why_and_links_the_consent_page(client, meeting, host):
    published_text()
    ben = make_participant(meeting, name="Ben")
    start_recording(meeting)
    remember_guest(ben, client.session)

    response = client.get(reverse("meetings:live_room", args=[meeting.meeting_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="recording-held" class="message message--warning" role="alert">' in page
    assert f'href="/consent/meetings/{meeting.meeting_id}/?via=meeting"' in page


def test_the_waiting_page_hides_the_reason_when_nothing_records(client, meeting):
    ben = make_participant(meeting, name="Ben")
    remember_guest(ben, client.session)

    page = client.get(reverse("meetings:live_room", args=[meeting.meeting_id])).content.decode()

    assert 'id="recording-held" class="message message--warning" role="alert" hidden>' in page


def test_the_room_shows_the_recording_state_on_load(client, meeting, host, host_participant):
    client.force_login(host)
    url = reverse("meetings:live_room", args=[meeting.meeting_id])
    page = client.get(url).content.decode()
    assert 'role="status" aria-live="polite" data-running="false">Not recording.' in page

    start_recording(meeting)
    page = client.get(url).content.decode()
    assert 'data-running="true">Recording: this meeting is being recorded.' in page


def test_the_host_sees_a_link_to_the_recording_console(client, meeting, host, host_participant):
    client.force_login(host)
    page = client.get(reverse("meetings:live_room", args=[meeting.meeting_id])).content.decode()
    assert f'href="/meetings/{meeting.meeting_id}/recording/console/"' in page


def test_a_participant_sees_no_console_link_but_the_consent_prompt(client, meeting):
    anna = make_participant(meeting, name="Anna")
    anna.state = Participant.State.ADMITTED
    anna.save()
    remember_guest(anna, client.session)

    page = client.get(reverse("meetings:live_room", args=[meeting.meeting_id])).content.decode()

    assert "/recording/console/" not in page
    assert 'id="consent-prompt"' in page
    assert f'href="/consent/meetings/{meeting.meeting_id}/?via=meeting"' in page

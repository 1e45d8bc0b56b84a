"""The rule "no start without all consents", including a participant who joins late."""

import pytest

from consent.models import RecordingConsentBasis
from meetings.recordings.models import RecordingSession
from meetings.recordings.services import (
    RecordingNotAllowed,
    may_admit_during_recording,
    start_recording,
    stop_recording,
)
from meetings.scheduling.models import Meeting
from tests.factories import (
    admit,
    admit_guest,
    decide,
    make_meeting,
    make_participant,
    make_user,
    published_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), recording_announced=True)


def test_it_refuses_to_start_while_a_participant_has_not_decided(meeting):
    text = published_text()
    decide(admit(meeting, make_user("anna")), text)
    admit(meeting, make_user("ben"), name="Ben B.")

    with pytest.raises(RecordingNotAllowed) as refusal:
        start_recording(meeting=meeting, by=meeting.host)

    assert refusal.value.reason == "consent_missing"
    assert [p.display_name for p in refusal.value.missing] == ["Ben B."]
    assert not RecordingSession.objects.filter(meeting=meeting).exists()


def test_it_refuses_to_start_when_a_participant_refused(meeting):
    text = published_text()
    decide(admit(meeting, make_user("anna")), text, given=False)

    with pytest.raises(RecordingNotAllowed):
        start_recording(meeting=meeting, by=meeting.host)
    assert not RecordingSession.objects.exists()


def test_it_refuses_to_start_after_a_consent_was_withdrawn(meeting):
    from django.utils.timezone import now

    text = published_text()
    decide(admit(meeting, make_user("anna")), text, withdrawn_at=now())

    with pytest.raises(RecordingNotAllowed):
        start_recording(meeting=meeting, by=meeting.host)


def test_a_later_refusal_supersedes_an_earlier_consent(meeting):
    text = published_text()
    anna = admit(meeting, make_user("anna"))
    decide(anna, text, given=True)
    decide(anna, text, given=False)

    with pytest.raises(RecordingNotAllowed):
        start_recording(meeting=meeting, by=meeting.host)


def test_a_guest_counts_like_everyone_else(meeting):
    text = published_text()
    guest = admit_guest(meeting, "k" * 32, name="Guest Gina")

    with pytest.raises(RecordingNotAllowed) as refusal:
        start_recording(meeting=meeting, by=meeting.host)
    assert [p.display_name for p in refusal.value.missing] == ["Guest Gina"]

    decide(guest, text)
    assert start_recording(meeting=meeting, by=meeting.host).is_running


def test_it_starts_when_everyone_admitted_consented_and_keeps_the_evidence(meeting):
    text = published_text()
    anna = admit(meeting, make_user("anna"))
    decision = decide(anna, text)
    make_participant(meeting, user=make_user("waiting"))  # not in the room: not recorded
    admit(meeting, meeting.host, name="Host")  # the host records and needs no consent

    session = start_recording(meeting=meeting, by=meeting.host)

    session.refresh_from_db()
    assert session.is_running
    assert list(
        RecordingConsentBasis.objects.filter(session=session).values_list("decision", flat=True)
    ) == [decision.pk]


def test_it_does_not_start_twice(meeting):
    start_recording(meeting=meeting, by=meeting.host)
    with pytest.raises(RecordingNotAllowed) as refusal:
        start_recording(meeting=meeting, by=meeting.host)
    assert refusal.value.reason == "already_running"
    assert RecordingSession.objects.filter(meeting=meeting).count() == 1


def test_it_holds_a_late_joiner_without_consent_in_the_waiting_room(meeting):
    published_text()
    start_recording(meeting=meeting, by=meeting.host)
    late = make_participant(meeting, user=make_user("late"))

    assert may_admit_during_recording(late) is False
    late.refresh_from_db()
    assert late.state == "waiting"


def test_it_admits_a_late_joiner_with_consent_and_adds_the_consent_to_the_evidence(meeting):
    text = published_text()
    session = start_recording(meeting=meeting, by=meeting.host)
    late = make_participant(meeting, user=make_user("late"))
    decision = decide(late, text)

    assert may_admit_during_recording(late) is True
    assert RecordingConsentBasis.objects.filter(session=session, decision=decision).exists()


def test_it_admits_anyone_when_no_recording_runs(meeting):
    late = make_participant(meeting, user=make_user("late"))
    assert may_admit_during_recording(late) is True


def test_it_admits_a_late_joiner_without_consent_once_the_host_stopped_recording(meeting):
    start_recording(meeting=meeting, by=meeting.host)
    late = make_participant(meeting, user=make_user("late"))
    assert may_admit_during_recording(late) is False

    assert stop_recording(meeting=meeting) is True
    assert may_admit_during_recording(late) is True


def test_it_refuses_everything_when_no_consent_gate_is_registered(meeting, monkeypatch):
    from meetings.recordings import gate as recording_gate

    monkeypatch.setattr(recording_gate, "_gates", [])
    with pytest.raises(RecordingNotAllowed) as refusal:
        start_recording(meeting=meeting, by=meeting.host)
    assert refusal.value.reason == "no_gate"


def test_a_meeting_that_did_not_announce_a_recording_never_records(settings):
    meeting = make_meeting(make_user("host"), recording_announced=False)
    with pytest.raises(RecordingNotAllowed) as refused:
        start_recording(meeting=meeting, by=meeting.host)
    assert refused.value.reason == "not_announced"
    assert not meeting.recording_sessions.exists()


def test_a_running_meeting_cannot_announce_a_recording_afterwards():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from meetings.scheduling import services as scheduling
    from portal.identity.models import LicenceType, Role

    licence = LicenceType.objects.create(slug="staff", name="Staff", max_participants=300)
    role = Role.objects.create(slug="staff", name="Staff", licence_type=licence, may_host=True)
    meeting = make_meeting(make_user("host", role=role), recording_announced=False)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.RUNNING)
    meeting.refresh_from_db()
    details = scheduling.MeetingDetails(
        topic=meeting.topic,
        description="",
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        timezone=meeting.timezone,
        expected_participants=None,
        security={"recording_announced": True},
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        scheduling.update_meeting(meeting=meeting, details=details)
    assert "only be announced before the meeting begins" in str(refused.value)
    meeting.refresh_from_db()
    assert meeting.recording_announced is False

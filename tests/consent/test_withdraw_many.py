"""Withdrawing many consents at once (an erasure): the same effects as one withdrawal each,
in a number of queries that does not grow with the decisions."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from consent.models import ConsentDecision, RecordingConsentBasis
from consent.services import withdraw_consents
from meetings.recordings.models import Recording, RecordingSession
from tests.factories import admit, decide, make_meeting, make_recording, make_user, published_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


def consents_with_recordings(count: int):
    host = make_user(f"host{count}")
    anna = make_user(f"anna{count}")
    text = published_text()
    decisions, recordings = [], []
    for _ in range(count):
        meeting = make_meeting(host)
        decision = decide(admit(meeting, anna), text)
        recording = make_recording(meeting)
        RecordingConsentBasis.objects.create(
            session=recording.session, decision=decision, display_name="Anna"
        )
        decisions.append(decision)
        recordings.append(recording)
    return decisions, recordings


def test_every_recording_gets_its_deletion_date_and_hosts_are_told(
    settings, django_capture_on_commit_callbacks
):
    decisions, recordings = consents_with_recordings(3)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = withdraw_consents(decision_ids=[d.pk for d in decisions])

    assert len(scheduled) == 3
    for decision, recording in zip(decisions, recordings, strict=True):
        decision.refresh_from_db()
        recording.refresh_from_db()
        assert recording.deletion_due_at == decision.withdrawn_at + datetime.timedelta(
            days=settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS
        )
        assert recording.state == Recording.State.DELETION_SCHEDULED
    assert len(mail.outbox) == 3


def test_an_earlier_deletion_date_is_never_postponed():
    decisions, recordings = consents_with_recordings(1)
    earlier = now() + datetime.timedelta(days=1)
    Recording.objects.filter(pk=recordings[0].pk).update(deletion_due_at=earlier)
    withdraw_consents(decision_ids=[decisions[0].pk])
    recordings[0].refresh_from_db()
    assert recordings[0].deletion_due_at == earlier


def test_a_running_recording_stops():
    decisions, recordings = consents_with_recordings(1)
    session = RecordingSession.objects.create(meeting=recordings[0].meeting)
    RecordingConsentBasis.objects.create(session=session, decision=decisions[0], display_name="A")
    withdraw_consents(decision_ids=[decisions[0].pk])
    session.refresh_from_db()
    assert session.stop_reason == RecordingSession.StopReason.CONSENT_WITHDRAWN


def test_withdrawn_and_refused_decisions_are_left_alone():
    decisions, _recordings = consents_with_recordings(1)
    ConsentDecision.objects.filter(pk=decisions[0].pk).update(withdrawn_at=now())
    assert withdraw_consents(decision_ids=[decisions[0].pk]) == []


def test_the_queries_do_not_grow_with_the_decisions():
    few, _ = consents_with_recordings(2)
    many, _ = consents_with_recordings(12)
    with CaptureQueriesContext(connection) as for_few:
        withdraw_consents(decision_ids=[d.pk for d in few])
    with CaptureQueriesContext(connection) as for_many:
        withdraw_consents(decision_ids=[d.pk for d in many])
    assert len(for_many) == len(for_few)

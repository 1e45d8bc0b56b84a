"""Consent records are kept a proof period after their recordings are gone, then only under
their pseudonymous subject reference (category consent_records, docs/POLICY.md, retention)."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils.timezone import now

from consent.models import ConsentDecision, RecordingConsentBasis
from meetings.recordings.models import RecordingSession
from meetings.recordings.services import delete_recordings
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.services import find_deletions, purge_category, reapply_deletions
from tests.factories import admit, decide, make_meeting, make_recording, make_user, published_text

pytestmark = pytest.mark.django_db

THREE_YEARS = relativedelta(years=3)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def record():
    """Anna's consent, relied on for a recording of the meeting (her name in the record)."""
    meeting = make_meeting(make_user("host"))
    anna = make_user("anna")
    decision = decide(admit(meeting, anna, name="Anna A."), published_text())
    recording = make_recording(meeting)
    basis = RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name="Anna A."
    )
    return anna, decision, basis, recording


def gone_since(decision, moment):
    ConsentDecision.objects.filter(pk=decision.pk).update(recordings_gone_at=moment)


def test_deleting_the_last_recording_starts_the_proof_period(record):
    _anna, decision, _basis, recording = record
    assert decision.recordings_gone_at is None

    delete_recordings(pks=[recording.pk], reason="deleted by the host")

    decision.refresh_from_db()
    assert now() - decision.recordings_gone_at < datetime.timedelta(minutes=1)


def test_the_record_keeps_the_name_for_three_years_then_only_the_pseudonym(record):
    anna, decision, basis, recording = record
    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    gone_since(decision, now() - THREE_YEARS + DAY)

    purge_category(identifier="consent_records")
    basis.refresh_from_db()
    decision.refresh_from_db()
    assert (basis.display_name, decision.user_id) == ("Anna A.", anna.pk)

    gone_since(decision, now() - THREE_YEARS - DAY)
    report = purge_category(identifier="consent_records")

    assert report.done == 1
    basis.refresh_from_db()
    decision.refresh_from_db()
    assert basis.display_name == "person-" + decision.subject_ref[:12]
    assert decision.user_id is None and decision.pseudonymised_at is not None
    # the evidence itself stays: who (pseudonymously), which text, given, when
    assert decision.subject_ref and decision.given and decision.meeting_ref
    entry = DeletionLogEntry.objects.get(category="consent_records")
    assert entry.action == RetentionRule.Action.ANONYMISE
    assert "Anna" not in entry.rule_summary
    assert find_deletions(f"consent.consentdecision:{decision.pk}") == [entry]

    assert purge_category(identifier="consent_records").done == 0  # done once


def test_a_decision_another_recording_still_rests_on_is_kept(record):
    _anna, decision, basis, recording = record
    later = make_recording(recording.meeting)
    RecordingConsentBasis.objects.create(
        session=later.session, decision=decision, display_name="Anna A."
    )

    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    decision.refresh_from_db()
    assert decision.recordings_gone_at is None
    gone_since(decision, now() - THREE_YEARS - DAY)  # even with an old date

    assert purge_category(identifier="consent_records").done == 0
    basis.refresh_from_db()
    assert basis.display_name == "Anna A."


def test_a_legal_hold_on_the_meeting_keeps_the_names(record):
    _anna, decision, basis, recording = record
    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    gone_since(decision, now() - THREE_YEARS - DAY)
    hold = LegalHold.objects.create(
        reference=f"meetings.meeting:{recording.meeting_id}", reason="court case"
    )

    report = purge_category(identifier="consent_records")
    assert (report.done, report.held) == (0, 1)
    basis.refresh_from_db()
    assert basis.display_name == "Anna A."

    LegalHold.objects.filter(pk=hold.pk).update(released_at=now())
    assert purge_category(identifier="consent_records").done == 1


def test_the_period_is_editable(record):
    _anna, decision, basis, recording = record
    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    gone_since(decision, now() - datetime.timedelta(days=40))
    RetentionRule.objects.filter(category="consent_records").update(
        period_amount=1, period_unit=RetentionRule.Unit.MONTHS
    )

    assert purge_category(identifier="consent_records").done == 1


def test_a_restored_record_is_reduced_again_from_the_journal(record):
    anna, decision, basis, recording = record
    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    gone_since(decision, now() - THREE_YEARS - DAY)
    purge_category(identifier="consent_records")
    # as a backup from before the reduction brings the rows back
    ConsentDecision.objects.filter(pk=decision.pk).update(user=anna, pseudonymised_at=None)
    RecordingConsentBasis.objects.filter(pk=basis.pk).update(display_name="Anna A.")

    (report,) = reapply_deletions(identifiers=["consent_records"])

    assert (report.found, report.done) == (1, 1)
    basis.refresh_from_db()
    decision.refresh_from_db()
    assert basis.display_name.startswith("person-") and decision.user_id is None


def test_a_session_still_running_is_not_a_recording_gone(record):
    _anna, decision, _basis, recording = record
    running = RecordingSession.objects.create(meeting=recording.meeting)
    RecordingConsentBasis.objects.create(session=running, decision=decision, display_name="A")

    delete_recordings(pks=[recording.pk], reason="deleted by the host")
    decision.refresh_from_db()
    assert decision.recordings_gone_at is None
    gone_since(decision, now() - THREE_YEARS - DAY)  # even with an old date
    assert purge_category(identifier="consent_records").done == 0

    RecordingSession.objects.filter(pk=running.pk).update(stopped_at=now())
    later = make_recording(recording.meeting, session=running)
    delete_recordings(pks=[later.pk], reason="deleted by the host")
    decision.refresh_from_db()
    assert now() - decision.recordings_gone_at < datetime.timedelta(minutes=1)

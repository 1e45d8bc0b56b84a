"""Withdrawal: one click, refused when forged or replayed, and the deletion it schedules."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils.timezone import now

from consent.models import RecordingConsentBasis
from meetings.recordings.models import Recording
from meetings.recordings.services import schedule_recording_deletion
from tests.factories import admit, decide, make_meeting, make_recording, make_user, published_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    host = make_user("host")
    meeting = make_meeting(host)
    anna = make_user("anna")
    participant = admit(meeting, anna, name="Anna A.")
    decision = decide(participant, published_text())
    recording = make_recording(meeting)
    RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name="Anna A."
    )
    return anna, decision, recording


def withdraw_url(decision):
    return f"/consent/decisions/{decision.pk}/withdraw/"


def test_it_withdraws_with_one_click(client, setup):
    anna, decision, _recording = setup
    client.force_login(anna)

    response = client.post(withdraw_url(decision), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Your consent was withdrawn." in response.content.decode()
    decision.refresh_from_db()
    assert decision.withdrawn_at is not None


@pytest.mark.parametrize("days", [7, 3])
def test_it_schedules_the_recording_for_deletion_exactly_the_configured_days_later(
    client, setup, settings, days
):
    settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS = days
    anna, decision, recording = setup
    client.force_login(anna)

    client.post(withdraw_url(decision))

    decision.refresh_from_db()
    recording.refresh_from_db()
    assert recording.deletion_due_at == decision.withdrawn_at + datetime.timedelta(days=days)
    assert recording.state == Recording.State.DELETION_SCHEDULED


def test_it_informs_the_host_by_mail_and_on_the_recording_page(
    client, setup, django_capture_on_commit_callbacks
):
    anna, decision, recording = setup
    client.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(withdraw_url(decision))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["host@uni.example"]
    assert recording.get_absolute_url() in mail.outbox[0].body
    assert "Anna" not in mail.outbox[0].body  # who withdrew is not disclosed

    host = Client()
    host.force_login(recording.meeting.host)
    body = host.get(recording.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "will be deleted on" in body
    assert "This cannot be undone." in body


def test_the_host_cannot_postpone_or_clear_the_deletion(client, setup):
    anna, decision, recording = setup
    client.force_login(anna)
    client.post(withdraw_url(decision))
    recording.refresh_from_db()
    due = recording.deletion_due_at

    assert not schedule_recording_deletion(
        recording=recording, due_at=due + datetime.timedelta(days=30), reason="later"
    )
    recording.refresh_from_db()
    assert recording.deletion_due_at == due


def test_a_replayed_withdrawal_changes_nothing(client, setup, django_capture_on_commit_callbacks):
    anna, decision, recording = setup
    client.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(withdraw_url(decision))
    decision.refresh_from_db()
    first = decision.withdrawn_at

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url(decision), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "already been withdrawn" in response.content.decode()
    decision.refresh_from_db()
    assert decision.withdrawn_at == first
    assert len(mail.outbox) == 1


def test_a_forged_withdrawal_without_csrf_token_is_refused(setup):
    anna, decision, recording = setup
    forger = Client(enforce_csrf_checks=True)
    forger.force_login(anna)

    response = forger.post(withdraw_url(decision))

    assert response.status_code == 403
    decision.refresh_from_db()
    recording.refresh_from_db()
    assert decision.withdrawn_at is None
    assert recording.deletion_due_at is None


def test_another_users_decision_answers_404(client, setup):
    _anna, decision, recording = setup
    client.force_login(make_user("mallory"))
    assert client.post(withdraw_url(decision)).status_code == 404
    decision.refresh_from_db()
    assert decision.withdrawn_at is None


def test_a_refusal_cannot_be_withdrawn(client, setup):
    anna, decision, _recording = setup
    refusal = decide(decision.meeting.participants.get(user=anna), decision.text, given=False)
    client.force_login(anna)
    assert client.post(withdraw_url(refusal)).status_code == 404


def test_it_rejects_get(client, setup):
    anna, decision, _recording = setup
    client.force_login(anna)
    assert client.get(withdraw_url(decision)).status_code == 405


def test_anonymous_visitors_are_sent_to_login(client, setup):
    _anna, decision, _recording = setup
    assert client.post(withdraw_url(decision)).status_code == 302
    decision.refresh_from_db()
    assert decision.withdrawn_at is None


def test_a_recording_not_resting_on_the_consent_is_kept(client, setup):
    anna, decision, recording = setup
    other = make_recording(make_meeting(recording.meeting.host))
    client.force_login(anna)
    client.post(withdraw_url(decision))
    other.refresh_from_db()
    assert other.deletion_due_at is None


def test_the_retention_engine_deletes_it_once_due_and_logs_it(setup, recordings_storage):
    from consent.services import withdraw_consent
    from retention.models import DeletionLogEntry
    from retention.registry import reference_for
    from retention.services import find_deletions, purge_category

    _anna, decision, recording = setup
    path = recordings_storage / recording.file.name
    key = reference_for(recording)
    withdrawn = now() - datetime.timedelta(days=7, seconds=-60)
    withdraw_consent(decision=decision, when=withdrawn)
    recording.refresh_from_db()
    due = recording.deletion_due_at
    assert due == withdrawn + datetime.timedelta(days=7)

    purge_category(identifier="recordings", at=due - datetime.timedelta(seconds=1))
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert not DeletionLogEntry.objects.exists()

    purge_category(identifier="recordings", at=due)
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not path.exists()
    [entry] = find_deletions(key)
    assert (entry.category, entry.action, entry.count) == ("recordings", "delete", 1)
    assert entry.rule.counts_from == "consent_withdrawn"
    # the evidence stays: the decision and its withdrawal
    decision.refresh_from_db()
    assert decision.withdrawn_at == withdrawn


def test_a_legal_hold_on_the_meeting_keeps_a_withdrawn_recording(setup, recordings_storage):
    from consent.services import withdraw_consent
    from retention.models import DeletionLogEntry, LegalHold
    from retention.registry import reference_for
    from retention.services import find_deletions, purge_category

    _anna, decision, recording = setup
    path = recordings_storage / recording.file.name
    withdraw_consent(decision=decision, when=now() - datetime.timedelta(days=8))
    hold = LegalHold.objects.create(
        reference=f"meetings.meeting:{recording.meeting_id}", reason="court order"
    )

    report = purge_category(identifier="recordings")

    assert report.held == 1
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert path.exists()
    assert not DeletionLogEntry.objects.exists()

    hold.released_at = now()
    hold.save()
    purge_category(identifier="recordings")

    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert len(find_deletions(reference_for(recording))) == 1


def test_purging_a_deleted_recording_again_is_harmless(setup):
    from consent.services import withdraw_consent
    from retention.services import purge_category

    _anna, decision, recording = setup
    withdraw_consent(decision=decision, when=now() - datetime.timedelta(days=8))
    assert purge_category(identifier="recordings").done == 1
    assert purge_category(identifier="recordings").done == 0

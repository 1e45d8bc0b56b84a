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


def test_the_purge_deletes_it_once_due_and_not_before(setup, recordings_storage):
    from django.core.management import call_command

    from consent.services import withdraw_consent
    from consent.tasks import purge_withdrawn_recordings_task

    _anna, decision, recording = setup
    path = recordings_storage / recording.file.name
    withdrawn = now() - datetime.timedelta(days=7, seconds=-60)
    withdraw_consent(decision=decision, when=withdrawn)

    assert purge_withdrawn_recordings_task.apply().get() == 0  # one minute early
    assert Recording.objects.filter(pk=recording.pk).exists()

    Recording.objects.filter(pk=recording.pk).update(deletion_due_at=now())
    call_command("purge_withdrawn_recordings", stdout=__import__("io").StringIO())
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not path.exists()
    # the evidence stays: the decision and its withdrawal
    decision.refresh_from_db()
    assert decision.withdrawn_at == withdrawn


def test_deleting_a_recording_twice_is_harmless(setup):
    from meetings.recordings.services import delete_recording

    _anna, _decision, recording = setup
    delete_recording(recording)
    delete_recording(recording)
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_a_recording_delivered_after_the_withdrawal_is_scheduled_from_the_withdrawal(setup):
    from consent.services import withdraw_consent

    _anna, decision, recording = setup
    withdrawn = now() - datetime.timedelta(days=2)
    withdraw_consent(decision=decision, when=withdrawn)

    late = make_recording(recording.meeting, session=recording.session)

    late.refresh_from_db()
    assert late.deletion_due_at == withdrawn + datetime.timedelta(days=7)

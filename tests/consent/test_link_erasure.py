""" "Erase my data" through the withdrawal link: a guest's data is erased at once (names become
a pseudonym, consents are withdrawn, the evidence of consent stays pseudonymous); a member's
request goes to the data-protection officer's queue (docs/POLICY.md, rights)."""

import pytest
from django.test import Client

from consent.models import ConsentDecision, RecordingConsentBasis
from meetings.live.models import ChatMessage, Participant
from meetings.live.services import end_meeting
from portal.identity.models import ErasureRequest
from retention.models import DeletionLogEntry
from tests.consent.test_withdrawal_link import give_as_guest, link_from, rest_recording_on
from tests.factories import admit, make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), recording_announced=True)


def test_a_guest_erases_their_data_through_the_link_during_the_meeting(meeting):
    guest, _client, response = give_as_guest(meeting)
    link = link_from(response)
    decision = ConsentDecision.objects.get()
    recording = rest_recording_on(decision, meeting)
    ChatMessage.objects.create(
        meeting=meeting, sender=guest, sender_name="Guest Gina", text="hello"
    )

    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(link, {"action": "erase"}, follow=True)

    body = page.content.decode()
    assert "Your data was erased" in body and "evidence of consent" in body
    decision.refresh_from_db()
    recording.refresh_from_db()
    assert decision.withdrawn_at is not None  # the withdrawal rule deletes the recording
    assert recording.deletion_due_at is not None
    assert ConsentDecision.objects.filter(pk=decision.pk).exists()  # kept as evidence
    for model, field in (
        (RecordingConsentBasis, "display_name"),
        (ChatMessage, "sender_name"),
        (Participant, "display_name"),
    ):
        assert not model.objects.filter(**{f"{field}__contains": "Gina"}).exists(), model
    assert ChatMessage.objects.get().text == "hello"
    entry = DeletionLogEntry.objects.get(category="erasure.guest_link")
    assert entry.count == 3 and entry.action == "anonymise"


def test_a_guest_erases_through_the_link_after_the_meeting_ended(meeting):
    _guest, _client, response = give_as_guest(meeting)
    link = link_from(response)
    decision = ConsentDecision.objects.get()
    rest_recording_on(decision, meeting)
    end_meeting(meeting=meeting)

    Client(HTTP_ACCEPT_LANGUAGE="en").post(link, {"action": "erase"})

    assert not RecordingConsentBasis.objects.filter(display_name__contains="Gina").exists()
    decision.refresh_from_db()
    assert decision.withdrawn_at is not None
    assert not ErasureRequest.objects.exists()


def test_a_members_request_through_the_link_waits_for_the_data_protection_officer(client, meeting):
    published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)
    client.post(f"/consent/meetings/{meeting.meeting_id}/", {"decision": "give"})
    # a member is sent back to the room; the consent page keeps showing the link (and it is
    # mailed to the account's address)
    link = link_from(client.get(f"/consent/meetings/{meeting.meeting_id}/"))

    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(link, {"action": "erase"}, follow=True)

    assert "The data-protection officer answers within one month." in page.content.decode()
    request = ErasureRequest.objects.get()
    assert request.user == anna and request.state == ErasureRequest.State.PENDING
    decision = ConsentDecision.objects.get()
    assert decision.withdrawn_at is None  # carried out by the officer, not before

"""Key rotation without downtime: old data stays readable before, during and after
``manage.py rotate_keys``, which moves everything to the current keys in batches."""

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.management import CommandError, call_command

from consent.models import ConsentDecision, subject_keyring
from consent.selectors import consent_of_participants
from consent.services import record_decision
from meetings.scheduling.models import Meeting
from retention.keyring import rotate_field
from retention.models import DeletionLogEntry, RetentionRule
from retention.services import find_deletions, item_digests, reference_keyring
from tests.factories import admit, admit_guest, make_meeting, make_user, published_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]

OLD_FERNET = Fernet.generate_key().decode()
NEW_FERNET = Fernet.generate_key().decode()


@pytest.fixture
def old_keys(settings):
    settings.PASSCODE_ENCRYPTION_KEY = OLD_FERNET
    settings.PASSCODE_ENCRYPTION_OLD_KEYS = []
    settings.CONSENT_SUBJECT_KEY = "old-subject-key"  # no version: version 1
    settings.CONSENT_SUBJECT_OLD_KEYS = []
    settings.RETENTION_REFERENCE_SECRET = "old-reference-secret"
    settings.RETENTION_REFERENCE_OLD_SECRETS = []
    cache.clear()
    return settings


def switch_to_new_keys(settings):
    """What the operator deploys: new current keys, the old ones kept as old keys."""
    settings.PASSCODE_ENCRYPTION_KEY = NEW_FERNET
    settings.PASSCODE_ENCRYPTION_OLD_KEYS = [OLD_FERNET]
    settings.CONSENT_SUBJECT_KEY = "2:new-subject-key"
    settings.CONSENT_SUBJECT_OLD_KEYS = ["1:old-subject-key"]
    settings.RETENTION_REFERENCE_SECRET = "2:new-reference-secret"
    settings.RETENTION_REFERENCE_OLD_SECRETS = ["old-reference-secret"]


@pytest.fixture
def stored(old_keys):
    """A meeting with a passcode, a member's and a guest's consent, a deletion-log entry."""
    meeting = make_meeting(make_user("host"), passcode="Kx7mQ2vRt9Lp")
    text = published_text()
    member = admit(meeting, make_user("anna"))
    guest = admit_guest(meeting, "guest-key-1", name="Gast")
    for participant in (member, guest):
        record_decision(participant=participant, text=text, given=True, method="web")
    entry = DeletionLogEntry.objects.create(
        category="chat_messages",
        rule_summary="test",
        action=RetentionRule.Action.DELETE,
        count=2,
        digests=item_digests(["meetings.chatmessage:1", "meetings.chatmessage:2"]),
        key_chain=reference_keyring().current_chain,
    )
    return meeting, [member, guest], entry


def everything_readable(meeting, participants, entry):
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.passcode == "Kx7mQ2vRt9Lp"
    assert meeting.passcode_matches("Kx7mQ2vRt9Lp")
    consents = consent_of_participants(meeting=meeting, participants=participants)
    assert all(decision is not None and decision.given for decision in consents.values())
    assert [e.pk for e in find_deletions("meetings.chatmessage:2")] == [entry.pk]


def test_old_data_stays_readable_before_during_and_after_the_rotation(settings, stored):
    meeting, participants, entry = stored
    everything_readable(*stored)
    switch_to_new_keys(settings)
    everything_readable(*stored)  # deployed, not yet rotated

    # during: the first consent reference wrapped, the second not yet
    keyring = subject_keyring()
    first = ConsentDecision.objects.order_by("pk").first()
    wrapped, chain = keyring.wrap(bytes.fromhex(first.subject_ref), first.subject_key_chain)
    ConsentDecision.objects.filter(pk=first.pk).update(
        subject_ref=wrapped.hex(), subject_key_chain=chain
    )
    everything_readable(*stored)

    call_command("rotate_keys", batch_size=1)
    everything_readable(*stored)
    assert set(ConsentDecision.objects.values_list("subject_key_chain", flat=True)) == {"1,2"}
    assert DeletionLogEntry.objects.get(pk=entry.pk).key_chain == "1,2"
    token = Meeting.objects.get(pk=meeting.pk).passcode_encrypted
    assert Fernet(NEW_FERNET.encode()).decrypt(token.encode()) == b"Kx7mQ2vRt9Lp"


def test_after_the_rotation_the_old_passcode_key_can_go(settings, stored):
    switch_to_new_keys(settings)
    call_command("rotate_keys")
    settings.PASSCODE_ENCRYPTION_OLD_KEYS = []
    meeting = Meeting.objects.get(pk=stored[0].pk)
    assert meeting.passcode == "Kx7mQ2vRt9Lp"


def test_a_rerun_changes_nothing(settings, stored, capsys):
    switch_to_new_keys(settings)
    call_command("rotate_keys")
    before = list(ConsentDecision.objects.values_list("subject_ref", flat=True).order_by("pk"))
    call_command("rotate_keys")
    after = list(ConsentDecision.objects.values_list("subject_ref", flat=True).order_by("pk"))
    assert before == after
    assert (
        "consent subject references: 0 rewritten, 2 already current, 0 left"
        in capsys.readouterr().out
    )


def test_a_decision_made_after_the_switch_is_found_with_the_older_ones(settings, stored):
    meeting, participants, _entry = stored
    switch_to_new_keys(settings)
    late = admit(meeting, make_user("late"))
    record_decision(participant=late, text=published_text(), given=False, method="web")
    consents = consent_of_participants(meeting=meeting, participants=[*participants, late])
    assert consents[late.pk].given is False
    assert consents[participants[0].pk].given is True
    assert ConsentDecision.objects.get(user=late.user).subject_key_chain == "2"


def test_a_value_changed_during_the_rotation_is_not_overwritten(settings, stored):
    meeting = stored[0]
    switch_to_new_keys(settings)

    def rewrite(values):
        # a host saves a new passcode while this batch runs
        changed = Meeting.objects.get(pk=meeting.pk)
        changed.set_passcode("Zq8wRn3vKp5T")
        changed.save()
        return {"passcode_encrypted": "rotated-old-value"}

    report = rotate_field(
        name="passcodes",
        queryset=Meeting.objects.filter(pk=meeting.pk),
        fields=["passcode_encrypted"],
        rewrite=rewrite,
        batch_size=10,
    )
    assert (report.rewritten, report.left) == (0, 1)
    assert Meeting.objects.get(pk=meeting.pk).passcode == "Zq8wRn3vKp5T"


def test_values_under_a_key_no_longer_configured_are_reported_and_the_command_fails(
    settings, stored
):
    switch_to_new_keys(settings)
    settings.PASSCODE_ENCRYPTION_OLD_KEYS = []  # removed too early
    with pytest.raises(CommandError, match="not moved"):
        call_command("rotate_keys", only=["meeting passcodes"])


def test_it_refuses_an_unknown_name(stored):
    with pytest.raises(CommandError, match="unknown"):
        call_command("rotate_keys", only=["everything"])

"""Receivers of the consent app."""

import datetime

from django.conf import settings
from django.db.models import Exists, Min
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.timezone import now

from consent.models import ConsentDecision, RecordingConsentBasis, bases_still_relied_on
from meetings.recordings.models import Recording
from meetings.recordings.services import schedule_recording_deletion


@receiver(post_save, sender=Recording, dispatch_uid="consent_recording_stored")
def schedule_deletion_of_a_recording_stored_after_a_withdrawal(
    sender: type, instance: Recording, created: bool, **kwargs: object
) -> None:
    """A recording delivered after a consent it rests on was withdrawn is scheduled at once,
    counted from the withdrawal (policy row "deleted 7 days after a required consent is
    revoked")."""
    if not created or instance.deletion_due_at is not None:
        return
    first_withdrawal = RecordingConsentBasis.objects.filter(
        session_id=instance.session_id, decision__withdrawn_at__isnull=False
    ).aggregate(first=Min("decision__withdrawn_at"))["first"]
    if first_withdrawal is None:
        return
    due_at = first_withdrawal + datetime.timedelta(
        days=settings.RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS
    )
    schedule_recording_deletion(recording=instance, due_at=due_at, reason="consent withdrawn")


@receiver(post_delete, sender=Recording, dispatch_uid="consent_recording_deleted")
def note_when_the_recordings_relied_on_are_gone(
    sender: type, instance: Recording, **kwargs: object
) -> None:
    """Start the proof period of the consent records (category ``consent_records``): the
    decisions the deleted recording rested on that no remaining recording rests on get the
    time, in the transaction that deletes the recording. Every deletion of a recording goes
    through the engine and ``Recording`` rows, so every path sets it."""
    if Recording.objects.filter(session_id=instance.session_id).exists():
        return
    ConsentDecision.objects.filter(
        pk__in=RecordingConsentBasis.objects.filter(session_id=instance.session_id).values(
            "decision_id"
        ),
        pseudonymised_at__isnull=True,
    ).exclude(Exists(bases_still_relied_on())).update(recordings_gone_at=now())

"""Receivers of the consent app."""

import datetime

from django.conf import settings
from django.db.models import Min
from django.db.models.signals import post_save
from django.dispatch import receiver

from consent.models import RecordingConsentBasis
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

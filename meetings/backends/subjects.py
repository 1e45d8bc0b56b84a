"""The backends' kinds of personal data for data-subject rights (``retention.subjects``): a
person's registrations in the institution's Zoom account, and webhook payloads naming them."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from meetings.backends.zoom.models import ZoomRegistrant, ZoomWebhookEvent
from retention.subjects import (
    DataSubject,
    ErasureResult,
    PersonalDataKind,
    delete_in_batches,
    item_keys,
    register_kind,
)


@register_kind
class ZoomRegistrations(PersonalDataKind):
    identifier = "zoom_registrations"
    description = _("Your registrations in the institution's Zoom meetings")
    purpose = _("Admitting you to a meeting held on the institution's Zoom account")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Zoom Video Communications as the institution's processor")
    models = ("meetings.zoomregistrant", "meetings.zoomwebhookevent")
    erasure_order = 150

    def find(self, subject: DataSubject) -> models.QuerySet:
        from meetings.live.models import Participant

        if subject.user_id is None:
            return ZoomRegistrant.objects.none()
        participants = Participant.objects.filter(user_id=subject.user_id).values("pk")
        return ZoomRegistrant.objects.filter(participant_ref__in=participants)

    def export_row(self, record: models.Model) -> dict:
        return {"registered": record.state, "cancelled": record.cancelled}

    def _events(self, subject: DataSubject) -> models.QuerySet:
        condition = models.Q()
        for email in subject.normalised_emails():
            condition |= models.Q(payload_text__icontains=email)
        if not condition:
            return ZoomWebhookEvent.objects.none()
        return (
            ZoomWebhookEvent.objects.exclude(payload={})
            .alias(payload_text=Cast("payload", models.TextField()))
            .filter(condition)
        )

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        keys = delete_in_batches(self.find(subject), batch_size=batch_size)
        events = list(self._events(subject).values_list("pk", flat=True))
        ZoomWebhookEvent.objects.filter(pk__in=events).update(payload={})
        return ErasureResult(deleted_keys=keys, anonymised_keys=item_keys(ZoomWebhookEvent, events))

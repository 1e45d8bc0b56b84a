"""The backends' kinds of personal data for data-subject rights (``retention.subjects``):
webhook payloads from the institution's Zoom account that name a person, until handled.

A person's Zoom registrations belong to their participation: ``meetings/live/subjects.py``."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from meetings.backends.zoom.models import ZoomWebhookEvent
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    PersonalDataKind,
    item_keys,
    register_kind,
)


@register_kind
class ZoomWebhookPayloads(PersonalDataKind):
    identifier = "zoom_webhook_payloads"
    description = _("Messages from the institution's Zoom account naming you, until handled")
    purpose = _("Keeping the portal's records in line with meetings held on Zoom")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Zoom Video Communications as the institution's processor")
    retention_note = _("Emptied as soon as the message has been handled.")
    models = ("meetings.zoomwebhookevent",)
    erasure_order = 150

    def find(self, subject: DataSubject) -> models.QuerySet:
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

    def export_row(self, record: models.Model) -> dict:
        return {"event": record.event, "received_at": record.received_at.isoformat()}

    def plan(self, subject: DataSubject) -> ErasurePlan:
        return ErasurePlan(anonymise=self.count(subject))

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        events = list(self.find(subject).values_list("pk", flat=True))
        ZoomWebhookEvent.objects.filter(pk__in=events).update(payload={})
        return ErasureResult(anonymised_keys=item_keys(ZoomWebhookEvent, events))

"""Scheduling's kinds of personal data for data-subject rights (``retention.subjects``): the
meetings a person hosts and the invitations sent to their address."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from meetings.scheduling.models import Invitation, Meeting
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    delete_in_batches,
    register_kind,
)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


@register_kind
class HostedMeetings(PersonalDataKind):
    identifier = "hosted_meetings"
    description = _("Meetings you host")
    purpose = _("Scheduling and running meetings")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Invited participants and co-hosts")
    models = ("meetings.meeting",)
    erasure_order = 500

    kept_reason = _(
        "Meetings hold other participants' data (recordings, attendance, reports) under their "
        "own retention rules; they stay until those rules delete them, hosted by an account "
        "that no longer names you."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        return Meeting.objects.filter(host_id=subject.user_id)

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting_id,
            "topic": record.topic,
            "start": _iso(record.start),
            "status": record.status,
            "started_at": _iso(record.started_at),
            "ended_at": _iso(record.ended_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(kept=[Kept(count, self.kept_reason)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        count = self.count(subject)
        return ErasureResult(kept=[Kept(count, self.kept_reason)] if count else [])


@register_kind
class Invitations(PersonalDataKind):
    identifier = "invitations"
    description = _("Invitations sent to your address")
    purpose = _("Inviting you to meetings")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("The meeting's host and co-hosts")
    retention_categories = ("invitations",)
    models = ("meetings.invitation",)

    def find(self, subject: DataSubject) -> models.QuerySet:
        return (
            Invitation.objects.alias(address=Lower("email"))
            .filter(address__in=subject.normalised_emails())
            .select_related("meeting")
        )

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting.meeting_id,
            "topic": record.meeting.topic,
            "email": record.email,
            "whole_series": record.whole_series,
            "sent_at": _iso(record.sent_at),
        }

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        return ErasureResult(
            deleted_keys=delete_in_batches(self.find(subject), batch_size=batch_size)
        )

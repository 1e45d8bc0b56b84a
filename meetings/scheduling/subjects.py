"""Scheduling's kinds of personal data for data-subject rights (``retention.subjects``): the
meetings a person hosts and the invitations sent to their address."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils.translation import gettext_lazy as _

from meetings.scheduling.models import Invitation, Meeting, MeetingSeries
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    item_keys,
    register_kind,
)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


@register_kind
class HostedMeetings(PersonalDataKind):
    """Meetings and series the person hosts.

    A meeting never held (scheduled, nothing recorded) is cancelled: it is deleted. A meeting
    that was held keeps other participants' data under their own rules (recordings, attendance,
    reports), so it stays, hosted by the anonymised account, with its topic and description
    (free text that may name the host) replaced by its meeting ID.
    """

    identifier = "hosted_meetings"
    description = _("Meetings you host")
    purpose = _("Scheduling and running meetings")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Invited participants and co-hosts")
    retention_note = _(
        "As long as the meeting or what it left behind (recordings, reports, attendance lists) "
        "is kept."
    )
    models = ("meetings.meeting", "meetings.meetingseries")
    erasure_order = 500

    kept_reason = _(
        "Meetings that were held hold other participants' data (recordings, attendance, "
        "reports) under their own retention rules; they stay until those rules delete them, "
        "without topic or description and hosted by an account that no longer names you."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        return Meeting.objects.filter(host_id=subject.user_id)

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting_id,
            "topic": record.topic,
            "description": record.description,
            "start": _iso(record.start),
            "status": record.status,
            "started_at": _iso(record.started_at),
            "ended_at": _iso(record.ended_at),
        }

    def _never_held(self, subject: DataSubject) -> models.QuerySet:
        return self.find(subject).filter(
            status=Meeting.Status.SCHEDULED, started_at__isnull=True, recordings__isnull=True
        )

    def plan(self, subject: DataSubject) -> ErasurePlan:
        cancelled = self._never_held(subject).count()
        held = self.count(subject) - cancelled
        return ErasurePlan(
            erase=cancelled, anonymise=held, kept=[Kept(held, self.kept_reason)] if held else []
        )

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        result = ErasureResult()
        for meeting in self._never_held(subject):
            meeting.delete()  # its invitations and co-host grants go with it
            result.deleted_keys += item_keys(Meeting, [meeting.pk])
        held = list(self.find(subject).values_list("pk", flat=True))
        Meeting.objects.filter(pk__in=held).update(topic=F("meeting_id"), description="")
        series = MeetingSeries.objects.filter(host_id=subject.user_id)
        series.update(topic=Concat(Value("series-"), Cast("pk", models.CharField())))
        result.anonymised_keys = item_keys(Meeting, held)
        if held:
            result.kept.append(Kept(len(held), self.kept_reason))
        return result


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

"""The live room's kinds of personal data for data-subject rights (``retention.subjects``): a
person's places in running meetings, their chat messages and their attendance records."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.backends.zoom.models import ZoomRegistrant
from meetings.live.models import AttendanceRecord, ChatMessage, Participant
from retention.models import LegalHold
from retention.registry import registry
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    delete_in_batches,
    item_keys,
    pseudonym_for,
    register_kind,
)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


@register_kind
class Participations(PersonalDataKind):
    identifier = "participations"
    description = _("Your place in meetings that are running now")
    purpose = _("Waiting room and live room")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("The meeting's hosts and participants (your display name)")
    retention_note = _("Deleted when the meeting ends.")
    models = ("meetings.participant",)
    erasure_order = 200

    def find(self, subject: DataSubject) -> models.QuerySet:
        return Participant.objects.filter(user_id=subject.user_id).select_related("meeting")

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting.meeting_id,
            "display_name": record.display_name,
            "state": record.state,
            "asked_to_join_at": _iso(record.requested_at),
            "admitted_at": _iso(record.admitted_at),
        }

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        return ErasureResult(
            deleted_keys=delete_in_batches(self.find(subject), batch_size=batch_size)
        )


@register_kind
class ZoomRegistrations(PersonalDataKind):
    """A participant's registration in the institution's Zoom meeting (their own join link)."""

    identifier = "zoom_registrations"
    description = _("Your registrations in meetings held on the institution's Zoom account")
    purpose = _("Admitting you to a meeting held on the institution's Zoom account")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Zoom Video Communications as the institution's processor")
    retention_note = _("Deleted when the meeting ends.")
    models = ("meetings.zoomregistrant",)
    erasure_order = 150

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return ZoomRegistrant.objects.none()
        participants = Participant.objects.filter(user_id=subject.user_id).values("pk")
        return ZoomRegistrant.objects.filter(participant_ref__in=participants)

    def export_row(self, record: models.Model) -> dict:
        return {"registration": record.state, "cancelled": record.cancelled}


@register_kind
class ChatMessages(PersonalDataKind):
    """Messages the person sent, and private messages sent to them."""

    identifier = "chat_messages"
    description = _("Chat messages you sent or received privately")
    purpose = _("Chat in meetings; stored only where the meeting announced it")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("The meeting's participants (or the one you wrote to)")
    retention_categories = ("chat",)
    models = ("meetings.chatmessage",)
    erasure_order = 100

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return ChatMessage.objects.none()
        return ChatMessage.objects.filter(
            models.Q(sender_user_id=subject.user_id) | models.Q(recipient_user_id=subject.user_id)
        ).select_related("meeting")

    def export_row(self, record: models.Model, user_id: int | None = None) -> dict:
        return {
            "meeting_id": record.meeting.meeting_id,
            "sent_at": _iso(record.created_at),
            "sent_by_you": user_id is not None and record.sender_user_id == user_id,
            "sender": record.sender_name,
            "to": record.recipient_name or None,
            "text": record.text,
        }

    def export(self, subject: DataSubject, *, chunk_size: int = 2000) -> Iterator[dict]:
        for record in self.find(subject).iterator(chunk_size=chunk_size):
            yield self.export_row(record, subject.user_id)

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        return ErasureResult(
            deleted_keys=delete_in_batches(self.find(subject), batch_size=batch_size)
        )


@register_kind
class Attendance(PersonalDataKind):
    """Attendance records: deleted, except those the institution must keep.

    A record under a legal hold stays as it is. A record of a meeting that requires attendance
    is a retention obligation: it stays until its rule deletes it, but under a pseudonym.
    """

    identifier = "attendance_records"
    description = _("Attendance records of meetings that require attendance")
    purpose = _("Proving attendance where the institution's rules require it")
    legal_basis = _("Art. 6(1)(c) and (e) GDPR with the institution's examination rules")
    recipients = _("The meeting's organiser where the policy allows")
    retention_categories = ("attendance",)
    models = ("meetings.attendancerecord",)

    held_reason = _("A legal hold keeps these records unchanged until it is released.")
    obligation_reason = _(
        "The institution must keep attendance of these meetings until their retention period "
        "ends; the records no longer name you (pseudonym)."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return AttendanceRecord.objects.none()
        return AttendanceRecord.objects.filter(user_id=subject.user_id).select_related("meeting")

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting.meeting_id,
            "name": record.name,
            "joined_at": _iso(record.joined_at),
            "left_at": _iso(record.left_at),
        }

    def _split(
        self, subject: DataSubject
    ) -> tuple[models.QuerySet, models.QuerySet, models.QuerySet]:
        mine = AttendanceRecord.objects.filter(user_id=subject.user_id)
        condition = registry.get("attendance").held_filter(LegalHold.active_references())
        held = mine.filter(condition) if condition is not None else mine.none()
        free = mine.exclude(pk__in=held.values("pk"))
        obliged = free.filter(meeting__attendance_required=True)
        return held, obliged, free.filter(meeting__attendance_required=False)

    def plan(self, subject: DataSubject) -> ErasurePlan:
        held, obliged, free = self._split(subject)
        kept = []
        if held_count := held.count():
            kept.append(Kept(held_count, self.held_reason))
        if obliged_count := obliged.count():
            kept.append(Kept(obliged_count, self.obligation_reason))
        return ErasurePlan(erase=free.count(), anonymise=obliged_count, kept=kept)

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        held, obliged, free = self._split(subject)
        result = ErasureResult()
        if held_count := held.count():
            result.kept.append(Kept(held_count, self.held_reason))
        obliged_ids = list(obliged.values_list("pk", flat=True))
        if obliged_ids:
            AttendanceRecord.objects.filter(pk__in=obliged_ids).update(
                user=None, participant=None, name=pseudonym_for(subject)
            )
            result.anonymised_keys = item_keys(AttendanceRecord, obliged_ids)
            result.kept.append(Kept(len(obliged_ids), self.obligation_reason))
        result.deleted_keys = delete_in_batches(free, batch_size=batch_size)
        return result

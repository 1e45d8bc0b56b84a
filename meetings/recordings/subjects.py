"""Recordings' kinds of personal data for data-subject rights (``retention.subjects``): the
recordings a person started or uploaded as host.

Recordings the person appears in rest on their consent: the consent app's kind withdraws it,
and the withdrawal rule deletes those recordings (docs/POLICY.md, recording).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.recordings.models import Recording, RecordingSession
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
class RecordingsMade(PersonalDataKind):
    identifier = "recordings_made"
    description = _("Recordings you started or uploaded as host")
    purpose = _("Recording meetings with the consent of everyone recorded")
    legal_basis = _("Art. 6(1)(a) GDPR (consent of those recorded)")
    recipients = _("The host, co-hosts and the audience named in the consent")
    retention_categories = ("recordings", "raw_recordings")
    # the raw files' location names nobody; the voices in them belong to the session
    models = ("meetings.recordingsession", "meetings.recording", "meetings.rawrecording")
    erasure_order = 300

    kept_reason = _(
        "The recordings hold other participants' voices and images and stay under their own "
        "rules; they no longer name you as the one who started or uploaded them."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return RecordingSession.objects.none()
        return (
            RecordingSession.objects.filter(
                models.Q(started_by_id=subject.user_id)
                | models.Q(recordings__uploaded_by_id=subject.user_id)
            )
            .distinct()
            .select_related("meeting")
        )

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting.meeting_id,
            "started_at": _iso(record.started_at),
            "stopped_at": _iso(record.stopped_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(anonymise=count, kept=[Kept(count, self.kept_reason)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        session_ids = list(
            RecordingSession.objects.filter(started_by_id=subject.user_id).values_list(
                "pk", flat=True
            )
        )
        recording_ids = list(
            Recording.objects.filter(uploaded_by_id=subject.user_id).values_list("pk", flat=True)
        )
        RecordingSession.objects.filter(pk__in=session_ids).update(started_by=None)
        Recording.objects.filter(pk__in=recording_ids).update(uploaded_by=None)
        keys = item_keys(RecordingSession, session_ids) + item_keys(Recording, recording_ids)
        return ErasureResult(
            anonymised_keys=keys, kept=[Kept(len(keys), self.kept_reason)] if keys else []
        )

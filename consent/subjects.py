"""The consent app's kinds of personal data for data-subject rights (``retention.subjects``):
a person's consent decisions and the consent records of recordings resting on them.

Erasure withdraws every consent still in force first (so the withdrawal rule deletes the
recordings resting on it, docs/POLICY.md, recording), then keeps the decisions as evidence of
consent under their keyed-hash subject reference only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from consent.models import ConsentDecision, RecordingConsentBasis, subject_reference
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    item_keys,
    pseudonym_for,
    register_kind,
)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


def _decisions(subject: DataSubject) -> models.QuerySet:
    if subject.user_id is None:
        return ConsentDecision.objects.none()
    return ConsentDecision.objects.filter(
        models.Q(user_id=subject.user_id)
        | models.Q(subject_ref=subject_reference(user_id=subject.user_id))
    )


@register_kind
class ConsentDecisions(PersonalDataKind):
    identifier = "consent_decisions"
    description = _("Your decisions on recording consent")
    purpose = _("Evidence that a recording rests on the consent of those recorded")
    legal_basis = _("Art. 6(1)(c) GDPR with Art. 7(1) GDPR (proof of consent)")
    recipients = _("The host and the data-protection officer")
    retention_categories = ("consent_records",)
    retention_note = _(
        "Kept as evidence of consent while a recording rests on it and for the proof period "
        "after the last one is gone, then under a pseudonymous reference only (at once after "
        "an erasure)."
    )
    models = ("consent.consentdecision",)
    erasure_order = 50

    kept_reason = _(
        "Evidence of consent (Art. 7(1) GDPR): kept under a pseudonymous reference only; "
        "consents still in force were withdrawn, so the recordings resting on them are deleted "
        "by the withdrawal rule."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        return _decisions(subject).select_related("text")

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.meeting_ref or None,
            "lecture_series": bool(record.series_key),
            "text_version": record.text.version,
            "scope": record.scope,
            "audience": record.audience,
            "given": record.given,
            "decided_at": _iso(record.decided_at),
            "how": record.method,
            "withdrawn_at": _iso(record.withdrawn_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(anonymise=count, kept=[Kept(count, self.kept_reason)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        from consent.services import withdraw_consents

        in_force = _decisions(subject).filter(given=True, withdrawn_at__isnull=True)
        # the withdrawal rule: stops a running recording, schedules the deletion of recordings
        withdraw_consents(decision_ids=list(in_force.values_list("pk", flat=True)))
        ids = list(_decisions(subject).values_list("pk", flat=True))
        ConsentDecision.objects.filter(pk__in=ids).update(user=None)
        return ErasureResult(
            anonymised_keys=item_keys(ConsentDecision, ids),
            kept=[Kept(len(ids), self.kept_reason)] if ids else [],
        )


@register_kind
class ConsentRecords(PersonalDataKind):
    identifier = "consent_records"
    description = _("Your name in the consent records of recordings")
    purpose = _("Which consents a recording rests on, for the data-protection officer")
    legal_basis = _("Art. 6(1)(c) GDPR with Art. 7(1) GDPR (proof of consent)")
    recipients = _("The data-protection officer")
    retention_categories = ("consent_records",)
    retention_note = _(
        "Replaced by a pseudonym with the decision after the proof period; deleted earlier "
        "when the meeting is deleted."
    )
    models = ("consent.recordingconsentbasis",)
    erasure_order = 60

    kept_reason = _(
        "Part of the recording's evidence of consent: kept, with a pseudonym instead of your name."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        return RecordingConsentBasis.objects.filter(
            decision__in=_decisions(subject).values("pk")
        ).select_related("session__meeting")

    def export_row(self, record: models.Model) -> dict:
        return {
            "meeting_id": record.session.meeting.meeting_id,
            "recording_started_at": _iso(record.session.started_at),
            "display_name": record.display_name,
            "relied_on_at": _iso(record.added_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(anonymise=count, kept=[Kept(count, self.kept_reason)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        ids = list(self.find(subject).values_list("pk", flat=True))
        RecordingConsentBasis.objects.filter(pk__in=ids).update(display_name=pseudonym_for(subject))
        return ErasureResult(
            anonymised_keys=item_keys(RecordingConsentBasis, ids),
            kept=[Kept(len(ids), self.kept_reason)] if ids else [],
        )

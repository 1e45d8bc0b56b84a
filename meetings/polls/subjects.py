"""Polls' kinds of personal data for data-subject rights (``retention.subjects``).

Anonymous polls keep nothing that leads to a voter: receipts (that someone voted) go with the
participant when the meeting ends, free-text answers never name their writer. Only named
ballots, chosen and shown before the vote, tie a person to answers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.polls.models import NamedBallot
from retention.subjects import (
    DataSubject,
    ErasureResult,
    PersonalDataKind,
    delete_in_batches,
    register_kind,
)


@register_kind
class NamedBallots(PersonalDataKind):
    identifier = "named_ballots"
    description = _("Your answers in polls with names")
    purpose = _("Polls that were announced as named before the vote")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("The meeting's hosts (and participants where the result is shown)")
    retention_categories = ("poll_results",)
    # receipts live only while the meeting runs (they go with the participant); free-text
    # answers of anonymous polls are stored without any link to their writer
    models = ("meetings.namedballot", "meetings.pollreceipt", "meetings.freetextanswer")
    erasure_order = 150

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return NamedBallot.objects.none()
        return NamedBallot.objects.filter(
            models.Q(voter_user_id=subject.user_id) | models.Q(participant__user_id=subject.user_id)
        ).select_related("poll", "question", "option")

    def export_row(self, record: models.Model) -> dict:
        return {
            "poll": str(record.poll),
            "question": str(record.question),
            "name": record.voter_name,
            "answer": str(record.option) if record.option_id else record.text,
        }

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        return ErasureResult(
            deleted_keys=delete_in_batches(self.find(subject), batch_size=batch_size)
        )

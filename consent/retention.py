"""Consent's personal data and the retention engine (docs/POLICY.md, retention).

Consent decisions and the bases a recording rests on are evidence that a recording was lawful
(the controller must be able to prove consent, Art. 7(1) GDPR). That proof is needed while
the recordings exist and for a proof period after they are gone; then the consent records are
reduced to their pseudonymous subject reference (category ``consent_records``):

- the event is ``ConsentDecision.recordings_gone_at``, set by
  ``consent/signals.py::note_when_the_recordings_relied_on_are_gone`` in the transaction that
  deletes the last recording resting on the decision (every deletion path goes through the
  engine, so through that deletion);
- after the rule's period (default 3 years, the same proof period as superseded terms
  acceptances) the decision loses its account link and every consent record resting on it
  shows "person-" and the start of the subject reference instead of the display name;
- a decision some recording still rests on (a series consent relied on again, a session
  still recording or converting) is never touched, whatever its date; a legal hold on the
  meeting, its series or the person keeps it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Substr
from django.utils.timezone import now as current_time
from django.utils.translation import gettext_lazy as _

from consent.models import ConsentDecision, RecordingConsentBasis, bases_still_relied_on
from retention.models import RetentionRule
from retention.registry import (
    DefaultRule,
    EqualsAny,
    RetentionCategory,
    RetentionEvent,
    declare_personal_data,
    register,
)

RECORDINGS_GONE = RetentionEvent(
    "recordings_gone", _("deletion of the last recording the consent was relied on for")
)

#: What a consent record shows instead of a display name once reduced: "person-" and the
#: first 12 hexadecimal digits of the decision's keyed-hash subject reference.
PSEUDONYM_PREFIX = "person-"


def pseudonymous_name() -> Concat:
    """The pseudonym of a consent record's decision, computed in the ``UPDATE`` (no row is
    read into Python)."""
    reference = ConsentDecision.objects.filter(pk=OuterRef("decision_id")).values("subject_ref")
    return Concat(
        Value(PSEUDONYM_PREFIX),
        Substr(Subquery(reference, output_field=models.CharField()), 1, 12),
        output_field=models.CharField(),
    )


@register
class ConsentRecords(RetentionCategory):
    identifier = "consent_records"
    description = _("Consent records of deleted recordings (account links and display names)")
    model = ConsentDecision
    events = (RECORDINGS_GONE,)
    actions = (RetentionRule.Action.ANONYMISE,)
    default_rules = (
        DefaultRule(
            RECORDINGS_GONE.identifier, 3, unit="years", action=RetentionRule.Action.ANONYMISE
        ),
    )
    hold_model = "meetings.meeting"  # a hold on the meeting keeps its consent records
    hold_lookup = "meeting_id"
    hold_relations = {"meetings.meetingseries": "meeting__series_id", "portal.user": "user_id"}
    journal_fingerprint = "decided_at"

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return (
            self.queryset()
            .filter(recordings_gone_at__lte=rule.cutoff(now), pseudonymised_at__isnull=True)
            .exclude(Exists(bases_still_relied_on()))
        )

    def not_yet_anonymised(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.filter(pseudonymised_at__isnull=True)

    def anonymise_batch(self, ids: list[Any]) -> int:
        """Two ``UPDATE``s per batch, none per decision: the consent records' display names
        become the pseudonym, the decisions lose their account link."""
        RecordingConsentBasis.objects.filter(EqualsAny(F("decision_id"), ids)).update(
            display_name=pseudonymous_name()
        )
        return (
            self.queryset()
            .filter(EqualsAny(F("pk"), ids))
            .update(user=None, pseudonymised_at=current_time())
        )


declare_personal_data(
    "consent.recordingconsentbasis",
    "Evidence of the consents a recording rests on: the display name is replaced by the "
    "pseudonym with its decision (category consent_records) a proof period after the "
    "recordings are gone, or goes earlier with its recording session when the meeting goes.",
)

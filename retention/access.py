"""The access log: reads of personal data (docs/POLICY.md, retention).

Apps call :func:`record_read` where a person reads personal data: a recording downloaded, a
consent record exported, chat or attendance opened in the admin, the viewers of a recording
listed. The entry names the reader, the kind of data, a keyed hash of the object's key and the
time; it is itself personal data under the category ``access_log``. Reading the access log is
logged too (kind ``access_log``).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from retention.models import AccessLogEntry, RetentionRule
from retention.registry import CREATED, DefaultRule, RetentionCategory, reference_for, register
from retention.services import item_reference
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    register_kind,
)

logger = logging.getLogger(__name__)


def record_read(*, user: object, kind: str, obj: models.Model | str) -> None:
    """Log that ``user`` read ``kind`` data of ``obj`` (a model instance or an item key)."""
    key = obj if isinstance(obj, str) else reference_for(obj)
    actor = None if user is None or isinstance(user, AnonymousUser) else user
    AccessLogEntry.objects.create(actor=actor, kind=kind, reference=item_reference(key))


def record_reads(*, user: object, kind: str, objects: Iterable[models.Model]) -> None:
    """One entry per object, in one query."""
    actor = None if user is None or isinstance(user, AnonymousUser) else user
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(actor=actor, kind=kind, reference=item_reference(reference_for(obj)))
        for obj in objects
    )


def find_reads(key: str) -> models.QuerySet:
    """Who read the object ``key`` ("meetings.recording:17"), newest first."""
    return AccessLogEntry.objects.filter(reference=item_reference(key))


@register
class AccessLog(RetentionCategory):
    identifier = "access_log"
    description = _("Access log (who read which personal data)")
    model = AccessLogEntry
    default_rules = (DefaultRule(CREATED.identifier, 12, unit="months"),)
    hold_relations = {"portal.user": "actor_id"}

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


@register_kind
class AccessLogReads(PersonalDataKind):
    """Reads of personal data the person made (as a member of staff): the access log is kept
    for its period as evidence of who read what (accountability), not erased on request."""

    identifier = "access_log_reads"
    description = _("Your reads of other people's personal data (access log)")
    purpose = _("Finding out whose data was read in a breach; accountability of staff")
    legal_basis = _("Art. 6(1)(c) GDPR with Art. 5(2) and Art. 32 GDPR")
    recipients = _("The data-protection officer")
    retention_categories = ("access_log",)
    models = ("retention.accesslogentry",)
    erasure_order = 950

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return AccessLogEntry.objects.none()
        return AccessLogEntry.objects.filter(actor_id=subject.user_id).order_by("pk")

    def export_row(self, record: models.Model) -> dict:
        return {"kind": record.kind, "at": record.created_at.isoformat()}

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(kept=[Kept(count, KEPT_REASON)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        """Kept for its period (evidence); the link to the account goes with the account."""
        count = self.count(subject)
        return ErasureResult(kept=[Kept(count, KEPT_REASON)] if count else [])


KEPT_REASON = _(
    "Kept for 12 months as evidence of who read personal data (accountability, Art. 5(2) GDPR)."
)

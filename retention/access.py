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

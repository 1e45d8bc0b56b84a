"""The data exports' retention category: an archive of a person's data is deleted
``DATA_EXPORT_RETENTION_DAYS`` after it was requested (docs/POLICY.md, "rights")."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.identity.models import DataExport
from retention.models import RetentionRule
from retention.registry import (
    CREATED,
    DefaultRule,
    EqualsAny,
    RetentionCategory,
    declare_personal_data,
    register,
)


def delete_export_files(ids: list[int]) -> None:
    """Delete the archives of ``ids`` from storage; an archive already gone counts as deleted."""
    for export in DataExport.objects.filter(EqualsAny(models.F("pk"), ids)).exclude(file=""):
        export.file.storage.delete(export.file.name)


@register
class DataExports(RetentionCategory):
    identifier = "data_exports"
    description = _("Downloads of a person's own data")
    model = DataExport
    events = (CREATED,)
    default_rules = (DefaultRule(CREATED.identifier, settings.DATA_EXPORT_RETENTION_DAYS),)
    has_files = True
    max_batch_size = 100

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(created_at__lte=rule.cutoff(now))

    def mark_batch(self, ids: list[int]) -> None:
        # nobody is offered an archive that may be gone
        DataExport.objects.filter(EqualsAny(models.F("pk"), ids)).update(
            state=DataExport.State.FAILED
        )

    def delete_files(self, ids: list[int]) -> None:
        delete_export_files(ids)


declare_personal_data(
    "portal.erasurerequest",
    "Proof that a data-subject request was answered in time (Art. 12 GDPR): the address for "
    "telling the outcome is forgotten once the person is told; the person's account is "
    "anonymised by the erasure itself, so the request keeps only a pseudonymous link.",
)
declare_personal_data(
    "mfa.authenticator",
    "A person's second factors (authenticator app, security keys, recovery codes): kept while "
    "the account exists and deleted with it; the person removes them at /accounts/2fa/.",
)

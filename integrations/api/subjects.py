"""The REST API's kind of personal data for data-subject rights (``retention.subjects``): the
person's API tokens (never the secret: only its hash is stored)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.api.models import ApiToken
from retention.subjects import DataSubject, PersonalDataKind, register_kind


@register_kind
class ApiTokens(PersonalDataKind):
    identifier = "api_tokens"
    description = _("Your API tokens: name, scopes, when created, used, expiring and revoked")
    purpose = _("Letting other systems act for you through the portal's REST API")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Nobody; the systems you give a token act with it")
    retention_categories = ("api_tokens",)
    models = ("integrations.apitoken",)
    erasure_order = 200

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user_id=subject.user_id).order_by("pk")

    def export_row(self, record: models.Model) -> dict:
        return {
            "name": record.name,
            "kind": record.kind,
            "scopes": list(record.scopes),
            "prefix": record.prefix,
            "created_at": record.created_at.isoformat(),
            "expires_at": record.expires_at.isoformat(),
            "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
            "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        }

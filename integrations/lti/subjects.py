"""The LTI tool's kind of personal data for data-subject rights (``retention.subjects``): which
learning-platform user is which portal account."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.lti.models import LtiAccount
from retention.subjects import DataSubject, PersonalDataKind, register_kind


@register_kind
class LtiAccounts(PersonalDataKind):
    identifier = "lti_accounts"
    description = _("Your links to learning platforms: platform, your ID there, last launch")
    purpose = _("Joining meetings of your courses from the learning platform")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes")
    recipients = _("Nobody; the learning platform knows its own ID of you")
    retention_categories = ("lti_accounts",)
    models = ("integrations.ltiaccount",)
    erasure_order = 200

    def find(self, subject: DataSubject) -> models.QuerySet:
        if subject.user_id is None:
            return LtiAccount.objects.none()
        return (
            LtiAccount.objects.filter(user_id=subject.user_id)
            .select_related("platform")
            .order_by("pk")
        )

    def export_row(self, record: models.Model) -> dict:
        return {
            "platform": record.platform.name,
            "subject": record.subject,
            "last_launch_at": record.last_launch_at.isoformat(),
        }

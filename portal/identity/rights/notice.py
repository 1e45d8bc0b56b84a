"""The privacy notice (Art. 13 GDPR) and the record of processing activities (Art. 30 GDPR),
generated from what the apps register (``retention.subjects``) and the retention rules in
force, so that neither can drift from what the portal actually does (docs/POLICY.md, "rights").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from retention.models import RetentionRule
from retention.registry import registry
from retention.subjects import PersonalDataKind, subjects


@dataclass
class ProcessingActivity:
    kind: PersonalDataKind
    retention: list[str]

    @property
    def identifier(self) -> str:
        return self.kind.identifier


def _rule_text(rule: RetentionRule) -> str:
    action = _("anonymised") if rule.action == RetentionRule.Action.ANONYMISE else _("deleted")
    return _("%(action)s %(amount)s %(unit)s after %(event)s") % {
        "action": action,
        "amount": rule.period_amount,
        "unit": rule.get_period_unit_display(),
        "event": rule.counts_from_label,
    }


def processing_activities() -> list[ProcessingActivity]:
    """Every registered kind of personal data with how long it stays under the enabled rules
    in force (one query for all rules)."""
    rules: dict[str, list[RetentionRule]] = {}
    for rule in RetentionRule.objects.filter(enabled=True).order_by("category", "counts_from"):
        rules.setdefault(rule.category, []).append(rule)
    activities = []
    for kind in subjects:
        texts = [
            f"{registry.get(category) if category in registry else category}: {_rule_text(rule)}"
            for category in kind.retention_categories
            for rule in rules.get(category, [])
        ]
        if kind.retention_note:
            texts.append(str(kind.retention_note))
        activities.append(ProcessingActivity(kind, texts))
    return activities


RECORD_COLUMNS = (
    "identifier",
    "data",
    "purpose",
    "legal_basis",
    "data_subjects",
    "recipients",
    "retention",
)


def record_rows() -> list[dict[str, str]]:
    """The record of processing activities, one row per kind of personal data."""
    everyone = _("users and guests of the portal")
    return [
        {
            "identifier": activity.identifier,
            "data": str(activity.kind.description),
            "purpose": str(activity.kind.purpose),
            "legal_basis": str(activity.kind.legal_basis),
            "data_subjects": str(activity.kind.data_subjects or everyone),
            "recipients": str(activity.kind.recipients),
            "retention": "; ".join(activity.retention) or _("no period set"),
        }
        for activity in processing_activities()
    ]


def record_csv() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RECORD_COLUMNS)
    writer.writeheader()
    writer.writerows(record_rows())
    return buffer.getvalue()

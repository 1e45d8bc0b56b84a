"""Identity's kinds of personal data for data-subject rights (``retention.subjects``): the
account, audit events naming the person, their data exports and erasure requests, and legal
holds they ordered. Registered from ``IdentityConfig.ready`` next to ``retention.py``."""

from __future__ import annotations

import json
import re

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.identity.models import (
    AuditEvent,
    DataExport,
    ErasureRequest,
    LicenceAssignment,
    TermsAcceptance,
)
from portal.identity.retention import StaleAccounts
from retention.models import LegalHold
from retention.subjects import (
    DataSubject,
    ErasurePlan,
    ErasureResult,
    Kept,
    PersonalDataKind,
    delete_in_batches,
    item_keys,
    pseudonym_for,
    register_kind,
)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() if value else None


@register_kind
class Account(PersonalDataKind):
    """The account: names, address, role, licence, accepted terms, linked SSO identities."""

    identifier = "account"
    description = _("Your account: name, e-mail address, role, licence, accepted terms of use")
    purpose = _("Logging in, assigning roles and licences, showing your name in meetings")
    legal_basis = _("Art. 6(1)(e) GDPR with the institution's statutes; Art. 6(1)(b) GDPR")
    recipients = _("The portal's administrators")
    retention_categories = ("stale_accounts",)
    models = (
        "portal.user",
        "portal.licenceassignment",
        "portal.termsacceptance",
        "socialaccount.socialaccount",
        "account.emailaddress",
    )
    erasure_order = 1000

    def find(self, subject: DataSubject) -> models.QuerySet:
        return get_user_model()._base_manager.filter(pk=subject.user_id).select_related("role")

    def export_row(self, record: models.Model) -> dict:
        from allauth.socialaccount.models import SocialAccount

        licence = LicenceAssignment.objects.filter(user=record).select_related("licence_type")
        terms = TermsAcceptance.objects.filter(user=record).select_related("terms_version")
        return {
            "username": record.username,
            "first_name": record.first_name,
            "last_name": record.last_name,
            "display_name": record.display_name,
            "email": record.email,
            "role": str(record.role) if record.role else None,
            "institution_member": record.is_institution_member,
            "date_joined": _iso(record.date_joined),
            "last_login": _iso(record.last_login),
            "deletion_due_at": _iso(record.deletion_due_at),
            "licence": [str(a.licence_type) for a in licence],
            "terms_accepted": [
                {"version": str(t.terms_version), "accepted_at": _iso(t.accepted_at)} for t in terms
            ],
            "sso_identities": [
                {"identity_provider": a.provider, "affiliations": a.extra_data.get("affiliations")}
                for a in SocialAccount.objects.filter(user=record)
            ],
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        return ErasurePlan(anonymise=self.count(subject))

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        """Anonymise the account (the row stays so that meetings it hosted and audit entries keep
        their integrity without naming the person); delete its licence and terms records."""
        result = ErasureResult()
        if subject.user_id is None:
            return result
        user_model = get_user_model()
        result.deleted_keys += delete_in_batches(
            TermsAcceptance.objects.filter(user_id=subject.user_id), batch_size=batch_size
        )
        result.deleted_keys += delete_in_batches(
            LicenceAssignment.objects.filter(user_id=subject.user_id), batch_size=batch_size
        )
        if user_model._base_manager.filter(pk=subject.user_id).exists():
            StaleAccounts().anonymise_batch([subject.user_id])
            user_model._base_manager.filter(pk=subject.user_id).update(
                last_login=None, deletion_due_at=None, role=None, is_institution_member=False
            )
            result.anonymised_keys += item_keys(user_model, [subject.user_id])
        return result


@register_kind
class AuditEvents(PersonalDataKind):
    """Audit entries the person caused (as actor) or that concern their account."""

    identifier = "audit_events"
    description = _("Audit entries about actions you took or that concern your account")
    purpose = _("Accountability for administrative actions (licences, roles, deletions)")
    legal_basis = _("Art. 6(1)(c) GDPR with Art. 5(2) GDPR (accountability)")
    recipients = _("The portal's administrators")
    retention_note = _(
        "Kept as evidence of administrative actions; after an erasure without your name."
    )
    models = ("portal.auditevent",)
    erasure_order = 900

    def find(self, subject: DataSubject) -> models.QuerySet:
        label = get_user_model()._meta.label_lower
        return AuditEvent.objects.filter(
            models.Q(actor_id=subject.user_id)
            | models.Q(target_type=label, target_id=str(subject.user_id))
        )

    def export_row(self, record: models.Model) -> dict:
        return {
            "time": _iso(record.created_at),
            "action": record.action,
            "by_you": record.actor_id is not None,
            "target": f"{record.target_type}:{record.target_id}".strip(":"),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(anonymise=count, kept=[Kept(count, self.kept_reason)] if count else [])

    kept_reason = _(
        "Evidence of administrative actions (accountability): kept, but no longer naming you."
    )

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        """Unlink the person as actor; where an entry's reason or details name them (by name
        or address), the pseudonym replaces the name. The entries stay as evidence."""
        events = list(self.find(subject).only("pk", "reason", "details"))
        pattern = _names_pattern(subject)
        pseudonym = pseudonym_for(subject)
        for event in events:
            if pattern is not None:
                event.reason = pattern.sub(pseudonym, event.reason)
                event.details = json.loads(
                    pattern.sub(pseudonym, json.dumps(event.details, ensure_ascii=False))
                )
            event.actor = None
        AuditEvent.objects.bulk_update(
            events, ["reason", "details", "actor"], batch_size=batch_size
        )
        return ErasureResult(
            anonymised_keys=item_keys(AuditEvent, [e.pk for e in events]),
            kept=[Kept(len(events), self.kept_reason)] if events else [],
        )


def _names_pattern(subject: DataSubject) -> re.Pattern | None:
    """The person's names and addresses as one case-insensitive pattern, longest first (so
    that "Alice Liddell" goes before "Alice")."""
    words = {*subject.names, *subject.emails}
    words |= {part for name in subject.names for part in name.split() if len(part) > 2}
    if not words:
        return None
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in ordered), re.IGNORECASE)


@register_kind
class DataExports(PersonalDataKind):
    """The archives of the person's own data the portal prepared for them."""

    identifier = "data_exports"
    description = _("Downloads of your data you asked for")
    purpose = _("Giving you a copy of your data (Art. 15 and 20 GDPR)")
    legal_basis = _("Art. 6(1)(c) GDPR")
    recipients = _("Only you")
    retention_categories = ("data_exports",)
    models = ("portal.dataexport",)
    erasure_order = 800

    def find(self, subject: DataSubject) -> models.QuerySet:
        return DataExport.objects.filter(user_id=subject.user_id)

    def export_row(self, record: models.Model) -> dict:
        return {
            "requested_at": _iso(record.created_at),
            "state": record.state,
            "size": record.size,
        }

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        from portal.identity.rights.retention import delete_export_files

        exports = self.find(subject)
        delete_export_files(list(exports.values_list("pk", flat=True)))
        return ErasureResult(deleted_keys=delete_in_batches(exports, batch_size=batch_size))


@register_kind
class ErasureRequests(PersonalDataKind):
    """The person's erasure requests: the record that a request was made and answered."""

    identifier = "erasure_requests"
    description = _("Your requests to erase your data")
    purpose = _("Proving that a request was answered in time (Art. 12 and 17 GDPR)")
    legal_basis = _("Art. 6(1)(c) GDPR")
    recipients = _("The data-protection officer")
    retention_note = _(
        "Kept as proof that the request was answered, under a pseudonymous reference only."
    )
    models = ("portal.erasurerequest",)
    erasure_order = 1100

    kept_reason = _(
        "The record of your request, kept under a pseudonymous reference as proof that it was "
        "answered."
    )

    def find(self, subject: DataSubject) -> models.QuerySet:
        return ErasureRequest.objects.filter(user_id=subject.user_id)

    def export_row(self, record: models.Model) -> dict:
        return {
            "requested_at": _iso(record.requested_at),
            "due_at": _iso(record.due_at),
            "state": record.state,
            "handled_at": _iso(record.handled_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        count = self.count(subject)
        return ErasurePlan(anonymise=count, kept=[Kept(count, self.kept_reason)] if count else [])

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        """Unlink the requests from the person; the service clears the address for the
        answer once the person has been told the outcome."""
        ids = list(self.find(subject).values_list("pk", flat=True))
        ErasureRequest.objects.filter(pk__in=ids).update(user=None)
        return ErasureResult(
            anonymised_keys=item_keys(ErasureRequest, ids),
            kept=[Kept(len(ids), self.kept_reason)] if ids else [],
        )


@register_kind
class LegalHoldsOrdered(PersonalDataKind):
    """Legal holds the person ordered as an administrator."""

    identifier = "legal_holds_ordered"
    description = _("Legal holds you ordered as an administrator")
    purpose = _("Keeping data that must be kept past its period, with who ordered it")
    legal_basis = _("Art. 6(1)(c) GDPR")
    recipients = _("The portal's administrators")
    retention_note = _("As long as the legal hold exists.")
    models = ("retention.legalhold",)
    erasure_order = 900

    def find(self, subject: DataSubject) -> models.QuerySet:
        return LegalHold.objects.filter(created_by_id=subject.user_id)

    def export_row(self, record: models.Model) -> dict:
        return {
            "held_object": record.reference,
            "ordered_at": _iso(record.created_at),
            "released_at": _iso(record.released_at),
        }

    def plan(self, subject: DataSubject) -> ErasurePlan:
        return ErasurePlan(anonymise=self.count(subject))

    def erase(self, subject: DataSubject, *, batch_size: int) -> ErasureResult:
        ids = list(self.find(subject).values_list("pk", flat=True))
        LegalHold.objects.filter(pk__in=ids).update(created_by=None)
        return ErasureResult(anonymised_keys=item_keys(LegalHold, ids))

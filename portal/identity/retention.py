"""The portal's data categories for the retention engine (registered in ``PortalConfig.ready``).

Stale accounts (policy table: "the account is deleted when no longer needed, at the latest when
the person leaves"):

- "left": deprovisioning (``portal.identity.services.deprovision_user``: the IdP no longer asserts
  membership, or the nightly ``deprovision_stale_accounts``) sets ``User.deletion_due_at``
  (``ACCOUNT_DELETION_GRACE_DAYS`` after leaving); the rule's period counts from that date, so
  with the default of 0 days an account goes once its deletion date has passed. A login as a
  member again clears the date.
- "inactive": the last login (else the joining) is longer ago than the rule's period.

Superusers are never touched: the break-glass admins must not purge themselves away.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from portal.identity.models import AuditEvent, TermsAcceptance
from retention.models import RetentionRule
from retention.registry import (
    CREATED,
    DefaultRule,
    EqualsAny,
    RetentionCategory,
    RetentionEvent,
    declare_personal_data,
    register,
)

ACCOUNT_LEFT = RetentionEvent(
    "account_left", _("the account's deletion date (set when the person leaves)")
)
ACCOUNT_INACTIVE = RetentionEvent("account_inactive", _("last login"))

ANONYMISED_PREFIX = "anonymised-"
ANONYMISED_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "display_name",
    "is_active",
    "is_staff",
    "password",
]


@register
class StaleAccounts(RetentionCategory):
    identifier = "stale_accounts"
    description = _("Accounts of people who left or stayed inactive")
    events = (ACCOUNT_LEFT, ACCOUNT_INACTIVE)
    actions = (RetentionRule.Action.ANONYMISE, RetentionRule.Action.DELETE)
    default_rules = (
        # the deletion date already includes ACCOUNT_DELETION_GRACE_DAYS: 0 days after it
        DefaultRule(ACCOUNT_LEFT.identifier, 0, action=RetentionRule.Action.ANONYMISE),
        DefaultRule(ACCOUNT_INACTIVE.identifier, 365, action=RetentionRule.Action.ANONYMISE),
    )

    @property
    def model(self) -> type[models.Model]:  # type: ignore[override]
        return get_user_model()

    def queryset(self) -> models.QuerySet:
        return get_user_model()._base_manager.all()

    def expired(self, rule: RetentionRule, now: datetime) -> models.QuerySet:
        """Non-superusers whose event is at or before the cutoff: for "left" the deletion date
        set by deprovisioning, for "inactive" the last sign of life (last login, else
        joining). Anonymised accounts are done."""
        users = (
            self.queryset()
            .filter(is_superuser=False)
            .exclude(username__startswith=ANONYMISED_PREFIX)
        )
        if rule.counts_from == ACCOUNT_LEFT.identifier:
            return users.filter(deletion_due_at__lte=rule.cutoff(now))
        return users.alias(last_seen=Coalesce("last_login", "date_joined")).filter(
            last_seen__lte=rule.cutoff(now)
        )

    def not_yet_anonymised(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.exclude(username__startswith=ANONYMISED_PREFIX)

    def anonymise_batch(self, ids: list[int]) -> int:
        """Overwrite every personal field; the row stays so that what points at it (audit
        events, meetings hosted) keeps its integrity without naming the person. A fixed
        number of queries per batch (one ``UPDATE`` for all its accounts), none per account."""
        from allauth.account.models import EmailAddress
        from allauth.socialaccount.models import SocialAccount

        users = self.queryset().filter(EqualsAny(models.F("pk"), ids))
        SocialAccount.objects.filter(user__in=users).delete()
        EmailAddress.objects.filter(user__in=users).delete()
        accounts = list(users.only("pk"))
        for user in accounts:
            user.username = f"{ANONYMISED_PREFIX}{user.pk}"
            user.first_name = ""
            user.last_name = ""
            user.email = ""
            user.display_name = ""
            user.is_active = False
            user.is_staff = False
            user.set_unusable_password()
        self.queryset().model._base_manager.bulk_update(accounts, ANONYMISED_FIELDS)
        return len(accounts)


@register
class AuditLog(RetentionCategory):
    """The audit trail (who did what to which object, with a reason): kept for the period of
    its rule (default 12 months, counted on the institution's calendar), long enough to
    reconstruct an incident, then deleted. A hold on a person keeps the events they caused."""

    identifier = "audit_log"
    description = _("Audit trail of administrators' and hosts' actions")
    model = AuditEvent
    default_rules = (DefaultRule(CREATED.identifier, 12, unit="months"),)
    hold_relations = {"portal.user": "actor_id"}

    def expired(self, rule: RetentionRule, now: datetime) -> models.QuerySet:
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


@register
class TermsAcceptances(RetentionCategory):
    """Acceptances of the terms of use: the proof of consent. An acceptance is needed while it
    is the person's latest one and the account is in use; afterwards (a newer version was
    accepted, or the account was anonymised) it is kept for the proof period of the rule
    (default 3 years, the usual limitation period) and then deleted."""

    identifier = "terms_acceptances"
    description = _("Acceptances of the terms of use (proof of consent)")
    model = TermsAcceptance
    default_rules = (DefaultRule(CREATED.identifier, 3, unit="years"),)
    journal_fingerprint = "accepted_at"
    hold_relations = {"portal.user": "user_id"}

    def expired(self, rule: RetentionRule, now: datetime) -> models.QuerySet:
        newer = TermsAcceptance.objects.filter(
            user_id=models.OuterRef("user_id"), accepted_at__gt=models.OuterRef("accepted_at")
        )
        superseded = models.Exists(newer) | models.Q(user__username__startswith=ANONYMISED_PREFIX)
        return self.queryset().filter(superseded).filter(accepted_at__lte=rule.cutoff(now))


for _label, _reason in (
    (
        "admin.logentry",
        "Django's history of administrators' changes, naming administrators only: the record "
        "of administrative changes the institution must be able to show (accountability).",
    ),
    ("account.emailaddress", "Deleted when the account is anonymised (stale_accounts)."),
    ("socialaccount.socialaccount", "Deleted when the account is anonymised (stale_accounts)."),
    (
        "guardian.userobjectpermission",
        "Viewer grants: deleted with the recording (engine) and with the user.",
    ),
    (
        "portal.licenceassignment",
        "Released at deprovisioning; deleted with the account (CASCADE).",
    ),
    (
        "retention.legalhold",
        "Names the administrator who ordered a hold: evidence kept as long as the hold record.",
    ),
):
    declare_personal_data(_label, _reason)

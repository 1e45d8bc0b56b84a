"""Identity, roles, licences, institution and audit events.

Every field that holds personal data says so in its help text ("Personal data"), so that
export, erasure and retention can be checked against the list.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person using the portal: an institution member (SSO) or a break-glass admin.

    Members never get a usable local password; their identity comes from the IdP.
    """

    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("Personal data. Name shown in meetings; may be a pseudonym."),
    )
    role = models.ForeignKey(
        "portal.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        help_text=_("The language of the person's last login: mails to them use it."),
    )
    is_institution_member = models.BooleanField(
        _("institution member"),
        default=False,
        help_text=_("Set from the identity provider's attributes at every SSO login."),
    )
    age_confirmed_at = models.DateTimeField(
        _("minimum age confirmed at"),
        null=True,
        blank=True,
        help_text=_(
            "When the person confirmed being of the minimum age, asked once where the identity "
            "provider releases no birth date (no birth date is stored)."
        ),
    )
    deletion_due_at = models.DateTimeField(
        _("deletion due at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Set when the account is no longer needed (membership ended or long inactive); "
            "the retention engine deletes the account after this time."
        ),
    )
    membership_ended_at = models.DateTimeField(
        _("membership ended at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the identity provider stopped asserting membership; until it asserts "
            "membership again the account holds no licence of any kind."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def shown_name(self) -> str:
        """The name shown to others: the chosen display name, else the full name."""
        return self.display_name or self.get_full_name() or self.username


class Institution(models.Model):
    """The institution running the portal (one row), with its mail domains."""

    name = models.CharField(_("name"), max_length=200)
    mail_domains = models.JSONField(
        _("institution mail domains"),
        default=list,
        blank=True,
        help_text=_("Addresses of these domains belong to members: SSO only, invitable."),
    )
    external_domains = models.JSONField(
        _("official external domains"),
        default=list,
        blank=True,
        help_text=_("Official domains of external partners that may be invited."),
    )
    minimum_age = models.PositiveSmallIntegerField(
        _("minimum age"),
        default=16,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Younger people may not use the portal: checked against the birth date the identity "
            "provider releases, else confirmed once by the person."
        ),
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> "Institution":
        """The institution row, created from the settings on first use."""
        institution = cls.objects.order_by("pk").first()
        if institution is None:
            institution = cls.objects.create(
                name=settings.INSTITUTION_NAME, mail_domains=list(settings.INSTITUTION_DOMAINS)
            )
        return institution


class LicenceType(models.Model):
    """A kind of licence with its limits (Business: 300 participants, no time limit)."""

    slug = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    max_participants = models.PositiveIntegerField(
        _("maximum participants"), validators=[MinValueValidator(2)]
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit in minutes"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty means no time limit."),
    )

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["-max_participants", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_time_limit(self) -> bool:
        return self.time_limit_minutes is not None


class LicencePool(models.Model):
    """The institution's quota of one licence type."""

    licence_type = models.OneToOneField(
        LicenceType, verbose_name=_("licence type"), on_delete=models.CASCADE, related_name="pool"
    )
    quota = models.PositiveIntegerField(_("quota (seats)"))

    class Meta:
        verbose_name = _("licence pool")
        verbose_name_plural = _("licence pools")

    def __str__(self) -> str:
        return f"{self.licence_type} ({self.quota})"


class Role(models.Model):
    """A role derived from the IdP's affiliations; it decides the licence type."""

    slug = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("licence type"), on_delete=models.PROTECT, related_name="roles"
    )
    may_host = models.BooleanField(_("may schedule meetings"), default=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class AffiliationRule(models.Model):
    """Ordered rule: an affiliation asserted by the IdP gives a role; the first match wins."""

    position = models.PositiveIntegerField(_("position"))
    affiliation = models.CharField(_("affiliation"), max_length=64)
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("affiliation rule")
        verbose_name_plural = _("affiliation rules")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["affiliation"], name="unique_affiliation_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.affiliation} → {self.role}"


class AdminGroupRule(models.Model):
    """An IdP group whose members administer the portal: staff status and a permission group.

    At every SSO login the groups the IdP asserts (``isMemberOf`` or ``eduPersonEntitlement``)
    decide: a member of the institution in a listed group becomes staff with the rule's
    permission group; one in none of them loses both (docs/POLICY.md, administration). The
    admin then also asks for the portal's second factor (portal/identity/second_factor.py).
    """

    idp_group = models.CharField(
        _("IdP group"),
        max_length=255,
        unique=True,
        help_text=_(
            "A value of the identity provider's group attribute (isMemberOf or "
            "eduPersonEntitlement), e.g. it-admins or urn:mace:uni.example:groups:it; "
            "compared without regard to case."
        ),
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("permission group"),
        on_delete=models.CASCADE,
        related_name="idp_admin_rules",
        help_text=_("The permissions its members get in the administration."),
    )

    class Meta:
        verbose_name = _("administrator group (SSO)")
        verbose_name_plural = _("administrator groups (SSO)")
        ordering = ["idp_group"]

    def __str__(self) -> str:
        return f"{self.idp_group} → {self.group}"


class AuditEvent(models.Model):
    """Who did what to which object, when and why (admin actions, licence changes, ...).

    Targets are referenced generically (type and id), so that audit rows outlive their objects.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty for the system's own jobs."),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


# Models of SSO login and licence assignment live in their own module.
from portal.identity.models.rights import DataExport, ErasureRequest  # noqa: E402, F401
from portal.identity.models.sso import (  # noqa: E402, F401
    LicenceAssignment,
    SeenAssertion,
    TermsAcceptance,
    TermsVersion,
)

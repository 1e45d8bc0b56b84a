"""SSO login and licences: licence assignments, terms of use, accepted SAML assertions.

Imported by the package ``portal.identity.models``; every field that holds personal data says
so in its help text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LicenceAssignment(models.Model):
    """The licence a user holds now: one per user, inside the pool's quota or outside it.

    Users who come by SSO are assigned from their role at every login; when the pool of the
    role's licence type is full they get the least capable type outside the quota and the
    wanted type is kept, so that admins see the shortfall. Users who do not log in by SSO
    get the least capable type outside the quota.
    """

    class Source(models.TextChoices):
        SSO = "sso", _("SSO login")
        ADMIN = "admin", _("administrator")
        DEFAULT = "default", _("default for users without SSO")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="licence_assignment",
        help_text=_("Personal data. The person holding the licence."),
    )
    licence_type = models.ForeignKey(
        "portal.LicenceType",
        verbose_name=_("licence type"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    in_pool = models.BooleanField(
        _("counted in the pool"),
        default=False,
        help_text=_("Counts against the quota of the licence type's pool."),
    )
    wanted_licence_type = models.ForeignKey(
        "portal.LicenceType",
        verbose_name=_("licence type of the role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wanted_assignments",
        help_text=_(
            "What the role asks for; differs from the licence type when the pool was full."
        ),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("licence assignment")
        verbose_name_plural = _("licence assignments")
        indexes = [models.Index(fields=["licence_type", "in_pool"], name="licence_in_pool_idx")]

    def __str__(self) -> str:
        return str(self.licence_type)

    @property
    def is_shortfall(self) -> bool:
        """True when the role asked for another licence type than the user got."""
        return (
            self.wanted_licence_type_id is not None
            and self.wanted_licence_type_id != self.licence_type_id
        )


class TermsVersion(models.Model):
    """A version of the terms of use and privacy notice, in German and English.

    The version with the latest publication time not in the future is the current one; a
    user who has not accepted it is asked again at the next SSO login.
    """

    version = models.CharField(_("version"), max_length=32, unique=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    title_de = models.CharField(_("title (German)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    text_de = models.TextField(_("text (German)"))
    text_en = models.TextField(_("text (English)"))

    class Meta:
        verbose_name = _("terms of use version")
        verbose_name_plural = _("terms of use versions")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.version

    @classmethod
    def current(cls) -> TermsVersion | None:
        return cls.objects.filter(published_at__lte=timezone.now()).first()

    @property
    def title(self) -> str:
        return self.title_de if (get_language() or "").startswith("de") else self.title_en

    @property
    def text(self) -> str:
        return self.text_de if (get_language() or "").startswith("de") else self.text_en


class TermsAcceptance(models.Model):
    """A user accepted a version of the terms at a time (the activation of the account)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="terms_acceptances",
        help_text=_("Personal data. The person who accepted."),
    )
    terms_version = models.ForeignKey(
        TermsVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "terms_version"], name="unique_terms_acceptance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.terms_version} {self.accepted_at:%Y-%m-%d}"


class SeenAssertion(models.Model):
    """The ID of an accepted SAML assertion, kept until it expires so a replay is refused.

    Neither python3-saml nor allauth remembers assertions (docs/POLICY.md, security baseline).
    """

    assertion_id = models.CharField(_("assertion ID"), max_length=255, unique=True)
    idp = models.CharField(_("identity provider"), max_length=100)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("accepted SAML assertion")
        verbose_name_plural = _("accepted SAML assertions")

    def __str__(self) -> str:
        return self.assertion_id

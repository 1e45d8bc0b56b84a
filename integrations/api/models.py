"""API tokens: personal access tokens and service tokens, stored only as a hash."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token for the REST API, acting with its owner's rights within its scopes.

    The token itself is shown once when it is created; only its SHA-256 hash is stored (a
    token has 256 random bits, so a plain hash cannot be reversed by guessing).
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal access token")
        SERVICE = "service", _("service token")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("Personal data. The account the token acts for."),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the system that uses it."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSONAL)
    scopes = models.JSONField(_("scopes"), default=list)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("beginning of the token"),
        max_length=16,
        editable=False,
        help_text=_("Enough to recognise the token, never enough to use it."),
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, help_text=_("Personal data.")
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()

    @property
    def ended_at(self) -> datetime.datetime | None:
        """When the token stopped working: revoked or expired, whichever came first."""
        if self.revoked_at is not None and self.revoked_at < self.expires_at:
            return self.revoked_at
        return self.expires_at if self.expires_at <= now() else self.revoked_at

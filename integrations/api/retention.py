"""The API's data category for the retention engine: tokens that no longer work.

A token names its owner and when it was last used, so it is personal data of a kind; once it
has expired or been revoked it serves nobody, and goes after the rule's period (policy in
docs/POLICY.md). A working token is never purged.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.api.models import ApiToken
from retention.models import RetentionRule
from retention.registry import DefaultRule, RetentionCategory, RetentionEvent, register

TOKEN_ENDED = RetentionEvent("token_ended", _("expiry or revocation of the token"))


@register
class ApiTokens(RetentionCategory):
    """API tokens, counted from when they expired or were revoked; 30 days by default."""

    identifier = "api_tokens"
    description = _("API tokens (personal access and service tokens)")
    model = ApiToken
    events = (TOKEN_ENDED,)
    default_rules = (DefaultRule(TOKEN_ENDED.identifier, 30),)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        cutoff = rule.cutoff(now)
        return self.queryset().filter(Q(revoked_at__lte=cutoff) | Q(expires_at__lte=cutoff))

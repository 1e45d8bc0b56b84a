"""LTI's data category for the retention engine: the links between a platform's users and
portal accounts. A link unused for the rule's period goes (the account itself follows the
identity app's rules); a new launch links it again."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.lti.models import LtiAccount
from retention.models import RetentionRule
from retention.registry import DefaultRule, RetentionCategory, RetentionEvent, register

LAST_LAUNCH = RetentionEvent("last_launch", _("last launch from the learning platform"))


@register
class LtiAccounts(RetentionCategory):
    """Platform accounts linked to portal accounts, counted from their last launch; a year."""

    identifier = "lti_accounts"
    description = _("Links of learning-platform users to portal accounts")
    model = LtiAccount
    events = (LAST_LAUNCH,)
    default_rules = (DefaultRule(LAST_LAUNCH.identifier, 365),)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(last_launch_at__lte=rule.cutoff(now))

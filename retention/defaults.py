"""The default retention rules after ``migrate`` and ``flush``.

Migration ``0002_default_rules`` installs them once. A ``flush`` (and every transactional test)
empties the table without running migrations again, so after each ``migrate``/``flush`` the
defaults are installed again when, and only when, no rule exists at all: an admin who wants no
purge of a category disables its rule rather than deleting every rule.
"""

import importlib

from django.db import router

DEFAULTS_MIGRATION = "retention.migrations.0002_default_rules"
#: Later migrations that add default rules (``ADDED_RULES``) or change a default period
#: (``CHANGED_PERIODS``), applied in this order on top of ``DEFAULTS_MIGRATION``.
AMENDING_MIGRATIONS = ["retention.migrations.0003_invitations_rule_account_deletion_date"]


def default_rules() -> list[tuple]:
    """(category, counts from, amount, unit, institution maximum, action) of the policy table,
    from the migrations that installed them (one source)."""
    rules = list(importlib.import_module(DEFAULTS_MIGRATION).DEFAULT_RULES)
    for name in AMENDING_MIGRATIONS:
        module = importlib.import_module(name)
        changed = getattr(module, "CHANGED_PERIODS", {})
        rules = [
            (category, event, changed[(category, event)][1], *rest)
            if (category, event) in changed
            else (category, event, amount, *rest)
            for category, event, amount, *rest in rules
        ]
        rules.extend(getattr(module, "ADDED_RULES", []))
    return rules


def install_default_rules_if_none(using: str = "default", **_kwargs: object) -> int:
    from retention.models import RetentionRule

    if not router.allow_migrate_model(using, RetentionRule):
        return 0
    rules = RetentionRule.objects.using(using)
    if rules.exists():
        return 0
    rules.bulk_create(
        RetentionRule(
            category=category,
            counts_from=counts_from,
            period_amount=amount,
            period_unit=unit,
            maximum_days=maximum,
            action=action,
        )
        for category, counts_from, amount, unit, maximum, action in default_rules()
    )
    return len(default_rules())

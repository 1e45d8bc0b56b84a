"""The default retention rules of the policy table (DESIGN.md); admins edit them later."""

from django.db import migrations

# (category, counts from, amount, unit, institution maximum in days, action)
DEFAULT_RULES = [
    # stored in-meeting chat older than 30 days is deleted
    ("chat", "created", 30, "days", None, "delete"),
    # a recording goes 7 days after a consent it depends on is withdrawn ...
    ("recordings", "consent_withdrawn", 7, "days", None, "delete"),
    # ... and otherwise after the period the host set once the need ends (30 days if the host
    # set none), never later than the institution maximum
    ("recordings", "need_ended", 30, "days", 180, "delete"),
    # meeting reports (metadata) are kept up to one month
    ("meeting_reports", "meeting_ended", 1, "months", None, "delete"),
    # attendance lists go when the meeting ends, unless attendance is required
    ("attendance", "meeting_ended", 0, "days", None, "delete"),
    ("attendance", "meeting_ended_attendance_required", 6, "months", None, "delete"),
    # poll results go with their meeting's artefacts (the report's month)
    ("poll_results", "meeting_ended", 1, "months", None, "delete"),
    # accounts: at the latest when the person leaves; or after a long inactivity
    ("stale_accounts", "account_left", 30, "days", None, "anonymise"),
    ("stale_accounts", "account_inactive", 365, "days", None, "anonymise"),
]


def add_default_rules(apps, schema_editor):
    RetentionRule = apps.get_model("retention", "RetentionRule")
    for category, counts_from, amount, unit, maximum, action in DEFAULT_RULES:
        RetentionRule.objects.get_or_create(
            category=category,
            counts_from=counts_from,
            defaults={
                "period_amount": amount,
                "period_unit": unit,
                "maximum_days": maximum,
                "action": action,
            },
        )


def remove_default_rules(apps, schema_editor):
    RetentionRule = apps.get_model("retention", "RetentionRule")
    for category, counts_from, *_rest in DEFAULT_RULES:
        RetentionRule.objects.filter(category=category, counts_from=counts_from).delete()


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_rules_holds_runs_log")]

    operations = [migrations.RunPython(add_default_rules, remove_default_rules)]

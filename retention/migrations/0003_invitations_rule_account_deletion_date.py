"""Default rules after the apps registered their categories (no app is imported here: rules
name categories by identifier).

- Invitations (the invitees' addresses) are deleted 30 days after the meeting ended (a
  whole-series invitation: after the series' last occurrence).
- The accounts' "left" rule counts from the deletion date that deprovisioning sets
  (``ACCOUNT_DELETION_GRACE_DAYS`` after leaving), so its default period becomes 0 days: the
  account goes once that date has passed. A rule an admin changed is left as it is.
"""

from django.db import migrations, models

# (category, counts from, amount, unit, institution maximum in days, action), as in 0002
ADDED_RULES = [
    ("invitations", "meeting_ended", 30, "days", None, "delete"),
]
# (category, counts from) -> (old amount, new amount), same unit ("days")
CHANGED_PERIODS = {
    ("stale_accounts", "account_left"): (30, 0),
}


def add_rules(apps, schema_editor):
    RetentionRule = apps.get_model("retention", "RetentionRule")
    for category, counts_from, amount, unit, maximum, action in ADDED_RULES:
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
    for (category, counts_from), (old, new) in CHANGED_PERIODS.items():
        RetentionRule.objects.filter(
            category=category, counts_from=counts_from, period_amount=old, period_unit="days"
        ).update(period_amount=new)


def remove_rules(apps, schema_editor):
    RetentionRule = apps.get_model("retention", "RetentionRule")
    for category, counts_from, *_rest in ADDED_RULES:
        RetentionRule.objects.filter(category=category, counts_from=counts_from).delete()
    for (category, counts_from), (old, new) in CHANGED_PERIODS.items():
        RetentionRule.objects.filter(
            category=category, counts_from=counts_from, period_amount=new, period_unit="days"
        ).update(period_amount=old)


class Migration(migrations.Migration):

    dependencies = [
        ('retention', '0002_default_rules'),
    ]

    operations = [
        migrations.AlterField(
            model_name='retentionrule',
            name='counts_from',
            field=models.CharField(choices=[('created', 'creation'), ('meeting_ended', 'end of the meeting'), ('meeting_ended_attendance_required', 'end of a meeting that requires attendance'), ('consent_withdrawn', 'withdrawal of a required consent'), ('need_ended', 'end of the need (period set by the host)'), ('account_left', "the account's deletion date (set when the person leaves)"), ('account_inactive', 'last login')], default='created', max_length=64, verbose_name='period counts from'),
        ),
        migrations.RunPython(add_rules, remove_rules),
    ]

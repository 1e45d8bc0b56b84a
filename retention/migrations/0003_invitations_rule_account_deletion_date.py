"""Nothing any more (as ``0002``): default rules come from the registered categories, and the
choices of ``RetentionRule.counts_from`` are gone (the categories declare their events). Kept so
that databases that applied it keep a consistent migration history until the squash."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_default_rules")]

    operations = []

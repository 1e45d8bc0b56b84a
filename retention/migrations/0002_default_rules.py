"""Nothing any more: the default rules come from the registered categories, installed after
every ``migrate`` by ``retention.services.install_default_rules``. Kept so that databases that
applied it keep a consistent migration history until the migrations are squashed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_rules_holds_runs_log")]

    operations = []

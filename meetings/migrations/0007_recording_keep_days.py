from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_chat_and_ballot_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="recording",
            name="keep_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Chosen by the host, at most the institution's maximum; empty: the rule's period.",
                null=True,
                verbose_name="kept for (days)",
            ),
        ),
    ]

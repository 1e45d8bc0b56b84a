from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from retention.defaults import install_default_rules_if_none
        from retention.schedule import ensure_nightly_tasks

        # After every migrate (and flush): a nightly task for each category the apps
        # registered, and the policy's default rules if the table is empty.
        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="retention-nightly")
        post_migrate.connect(
            install_default_rules_if_none, sender=self, dispatch_uid="retention-default-rules"
        )

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from retention.schedule import ensure_nightly_tasks
        from retention.services import install_default_rules

        # After every migrate (and flush): a nightly task for each category the apps
        # registered, and each category's default rules where its (category, event) has none.
        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="retention-nightly")
        post_migrate.connect(
            install_default_rules, sender=self, dispatch_uid="retention-default-rules"
        )

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from retention.schedule import ensure_nightly_tasks

        # After every migrate: a nightly task for each category the apps registered.
        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="retention-nightly")

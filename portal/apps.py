from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # Register the portal's data categories with the retention engine (stale accounts).
        from portal import retention_categories  # noqa: F401

        # the nightly deprovisioning (editable in the admin's "Periodic tasks")
        from portal.schedule import ensure_nightly_tasks

        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="portal-nightly")

        # role and licence at every login; data minimisation of the IdP's attributes; the IdPs'
        # endpoints in the content security policy follow their registrations
        from portal.sso import csp, receivers  # noqa: F401

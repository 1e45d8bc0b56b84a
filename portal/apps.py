from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # Register the portal's data categories with the retention engine (stale accounts).
        from portal import retention_categories  # noqa: F401

        # role and licence at every login; data minimisation of the IdP's attributes
        from portal.sso import receivers  # noqa: F401

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """Identity: users, SSO, roles, licences, the institution, audit events.

    Its label stays "portal" so that the user model (``portal.User``), its tables, permission
    names and admin URLs are those the portal always had (docs/ARCHITECTURE.md).
    """

    name = "portal.identity"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # the data categories of the accounts (stale accounts) for the retention engine
        from portal.identity import retention  # noqa: F401

        # its kinds of personal data for data-subject rights, and the data exports' category
        from portal.identity.rights import retention as rights_retention  # noqa: F401
        from portal.identity.rights import subjects  # noqa: F401

        # legal holds name a person by user name (retention/holds.py)
        from retention.registry import HoldTarget, hold_targets

        hold_targets.register(HoldTarget("portal.user", _("user"), "username", ("user",)))

        # the nightly deprovisioning (editable in the admin's "Periodic tasks")
        from portal.identity.schedule import ensure_nightly_tasks

        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="portal-nightly")

        # role and licence at every login; data minimisation of the IdP's attributes; the IdPs'
        # endpoints in the content security policy follow their registrations
        # the language of each login, for mails in the recipient's language
        from django.contrib.auth.signals import user_logged_in

        from portal.identity.services import remember_language
        from portal.identity.sso import csp, receivers  # noqa: F401

        user_logged_in.connect(remember_language, dispatch_uid="portal-remember-language")

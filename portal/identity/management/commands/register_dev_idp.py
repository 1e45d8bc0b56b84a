"""Register the development IdP (hosted at /dev-idp/) so the login page offers it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.identity.sso import dev_idp
from portal.identity.sso.idp import register_idp


class Command(BaseCommand):
    help = "Register the development identity provider with the demo people (DEBUG only)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEV_IDP_ENABLED:
            raise CommandError("The development IdP is off (DEV_IDP_ENABLED is false).")
        app, created = register_idp(
            slug=dev_idp.SLUG, name=dev_idp.NAME, metadata=dev_idp.metadata_xml()
        )
        verb = "Registered" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} the development IdP '{app.client_id}'."))

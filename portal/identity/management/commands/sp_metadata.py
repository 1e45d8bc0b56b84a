"""Print the portal's SP metadata for one identity provider (served at a stable URL too)."""

from allauth.socialaccount.models import SocialApp
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.identity.sso.idp import sp_metadata_xml


class Command(BaseCommand):
    help = "Print the SP metadata XML the portal offers to one identity provider."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)

    def handle(self, *args: object, **options: object) -> None:
        slug = str(options["slug"])
        if not SocialApp.objects.filter(provider="saml", client_id=slug).exists():
            raise CommandError(f"No identity provider '{slug}'; register it with add_idp.")
        self.stdout.write(sp_metadata_xml(slug))

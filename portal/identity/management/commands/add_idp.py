"""Register or update an identity provider from its SAML metadata (file, URL or XML).

    manage.py add_idp --slug uni --metadata idp-metadata.xml --name "Uni Example"

Creates one allauth ``SocialApp`` per IdP (editable in the admin under "Social
applications"); prints the SP metadata URL to give the IdP's operators.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from portal.identity.sso.idp import MetadataError, register_idp, sp_entity_id


class Command(BaseCommand):
    help = "Register or update a SAML identity provider from its metadata (file or URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="short key used in the portal's URLs")
        parser.add_argument("--metadata", required=True, help="metadata XML file or URL")
        parser.add_argument("--name", default="", help="name on the login button")
        parser.add_argument(
            "--attribute-mapping",
            default="",
            help='JSON object overriding the defaults, e.g. {"uid": ["urn:oid:..."]}',
        )
        parser.add_argument(
            "--scope",
            action="append",
            default=None,
            help="allowed scope of eduPersonScopedAffiliation (repeatable); "
            "default: the institution's mail domains",
        )

    def handle(self, *args: object, **options: object) -> None:
        slug = str(options["slug"])
        if slugify(slug) != slug:
            raise CommandError("The slug may hold only lower-case letters, digits and hyphens.")
        mapping = None
        if options["attribute_mapping"]:
            try:
                mapping = json.loads(str(options["attribute_mapping"]))
            except json.JSONDecodeError as error:
                raise CommandError(f"--attribute-mapping is not JSON: {error}") from error
            if not isinstance(mapping, dict):
                raise CommandError("--attribute-mapping must be a JSON object.")
        try:
            app, created = register_idp(
                slug=slug,
                name=str(options["name"]),
                metadata=str(options["metadata"]),
                attribute_mapping=mapping,
                scopes=options["scope"],  # type: ignore[arg-type]
            )
        except MetadataError as error:
            raise CommandError(f"Cannot use this metadata: {error}") from error
        verb = "Registered" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} IdP {app.provider_id} as '{slug}'."))
        self.stdout.write(f"SP metadata for the IdP's operators: {sp_entity_id(slug)}")

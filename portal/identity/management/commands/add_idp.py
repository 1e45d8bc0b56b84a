"""Register or update an identity provider from its SAML metadata (file, URL or XML).

    manage.py add_idp --slug uni --metadata idp-metadata.xml --name "Uni Example"
    manage.py add_idp --slug uni --metadata https://federation.example/idp-metadata.xml \
        --entity-id https://idp.uni.example/idp/shibboleth --federation-cert federation.pem

Creates one allauth ``SocialApp`` per IdP (editable in the admin under "Social
applications"); prints the SP metadata URL to give the IdP's operators. Rerunning it refreshes
the metadata and keeps every other setting; only the options given change.
"""

import json
from argparse import BooleanOptionalAction
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from portal.identity.sso.idp import NAME_ID_FORMATS, MetadataError, register_idp, sp_entity_id


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
            "--entity-id",
            default=None,
            help="the IdP's entity ID, to pick it from a federation aggregate (DFN-AAI, eduGAIN)",
        )
        parser.add_argument(
            "--federation-cert",
            default=None,
            help="PEM file of the federation's metadata signing certificate: the metadata's "
            "signature is then verified (default: the SAML_FEDERATION_CERT setting for URLs)",
        )
        parser.add_argument(
            "--name-id-format",
            default=None,
            help="NameID format to request: persistent (default), transient, unspecified, "
            "email, or a URI",
        )
        parser.add_argument(
            "--encrypt-assertions",
            action=BooleanOptionalAction,
            default=None,
            help="refuse unencrypted assertions from this IdP (encrypted ones are always accepted)",
        )
        parser.add_argument(
            "--sign-requests",
            action=BooleanOptionalAction,
            default=None,
            help="sign AuthnRequests and logout messages with the SP key (default: on)",
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
        advanced: dict[str, object] = {}
        name_id_format = options["name_id_format"]
        if name_id_format:
            name_id_format = NAME_ID_FORMATS.get(str(name_id_format), str(name_id_format))
            if not str(name_id_format).startswith("urn:"):
                raise CommandError(
                    "--name-id-format: persistent, transient, unspecified, email or a URI"
                )
            advanced["name_id_format"] = name_id_format
        if options["encrypt_assertions"] is not None:
            advanced["want_assertion_encrypted"] = bool(options["encrypt_assertions"])
        if options["sign_requests"] is not None:
            for key in ("authn_request_signed", "logout_request_signed", "logout_response_signed"):
                advanced[key] = bool(options["sign_requests"])
        metadata = str(options["metadata"])
        cert_file = options["federation_cert"] or (
            settings.SAML_FEDERATION_CERT if metadata.startswith(("https://", "http://")) else ""
        )
        federation_cert = None
        if cert_file:
            try:
                federation_cert = Path(str(cert_file)).read_text()
            except OSError as error:
                raise CommandError(f"Cannot read the federation certificate: {error}") from error
        try:
            app, created = register_idp(
                slug=slug,
                name=str(options["name"]),
                metadata=metadata,
                attribute_mapping=mapping,
                scopes=options["scope"],  # type: ignore[arg-type]
                entity_id=options["entity_id"],  # type: ignore[arg-type]
                federation_cert=federation_cert,
                advanced=advanced,
            )
        except MetadataError as error:
            raise CommandError(f"Cannot use this metadata: {error}") from error
        verb = "Registered" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} IdP {app.provider_id} as '{slug}'."))
        self.stdout.write(f"SP metadata for the IdP's operators: {sp_entity_id(slug)}")

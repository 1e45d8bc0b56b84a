"""Identity providers: one allauth ``SocialApp`` per IdP, its settings JSON and attributes.

The settings follow the security baseline (docs/POLICY.md): strict mode, signed assertions, no
IdP-initiated login, deprecated algorithms (SHA-1) rejected.
"""

from __future__ import annotations

import datetime
from typing import Any

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

# eduPerson and SCHAC names (URI form first, then the friendly names some IdPs send).
DEFAULT_ATTRIBUTE_MAPPING: dict[str, list[str]] = {
    "uid": [
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
        "eduPersonPrincipalName",
        "urn:oasis:names:tc:SAML:attribute:subject-id",
    ],
    "email": ["urn:oid:0.9.2342.19200300.100.1.3", "mail", "email"],
    "first_name": ["urn:oid:2.5.4.42", "givenName"],
    "last_name": ["urn:oid:2.5.4.4", "sn", "surname"],
    "affiliation": [
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",  # eduPersonAffiliation
        "eduPersonAffiliation",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",  # eduPersonScopedAffiliation
        "eduPersonScopedAffiliation",
    ],
    "date_of_birth": ["urn:oid:1.3.6.1.4.1.25178.1.2.3", "schacDateOfBirth"],  # YYYYMMDD
}

SECURITY_SETTINGS: dict[str, Any] = {
    "strict": True,
    "want_assertion_signed": True,
    "want_message_signed": False,
    "want_attribute_statement": True,
    "reject_idp_initiated_sso": True,
    "reject_deprecated_algorithm": True,
    "allow_single_label_domains": False,
    "digest_algorithm": OneLogin_Saml2_Constants.SHA256,
    "signature_algorithm": OneLogin_Saml2_Constants.RSA_SHA256,
}


class MetadataError(ValueError):
    """The IdP metadata could not be read or holds no usable IdP."""


def parse_idp_metadata(source: str) -> dict[str, Any]:
    """The IdP part of allauth's settings from metadata XML (a file path, a URL or the XML)."""
    try:
        if source.startswith(("https://", "http://")):
            parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(source, timeout=10)
        else:
            if source.lstrip().startswith("<"):
                xml = source
            else:
                with open(source, encoding="utf-8") as handle:
                    xml = handle.read()
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    except OSError as error:
        raise MetadataError(str(error)) from error
    except Exception as error:  # the parser raises plain exceptions on broken XML
        raise MetadataError(f"unreadable metadata: {error}") from error
    idp = parsed.get("idp") or {}
    cert = idp.get("x509cert") or (idp.get("x509certMulti", {}).get("signing") or [None])[0]
    if not idp.get("entityId") or not idp.get("singleSignOnService", {}).get("url") or not cert:
        raise MetadataError("metadata lacks an IdP entity ID, SSO endpoint or signing key")
    result = {
        "entity_id": idp["entityId"],
        "sso_url": idp["singleSignOnService"]["url"],
        "x509cert": cert,
    }
    slo = idp.get("singleLogoutService", {}).get("url")
    if slo:
        result["slo_url"] = slo
    return result


def sp_entity_id(slug: str) -> str:
    """The SP's entity ID for one IdP: its stable metadata URL under ``PORTAL_BASE_URL``."""
    return settings.PORTAL_BASE_URL + reverse("saml_metadata", args=[slug])


def build_app_settings(
    *,
    slug: str,
    idp: dict[str, Any],
    attribute_mapping: dict[str, list[str]] | None = None,
    scopes: list[str] | None = None,
    metadata_source: str = "",
) -> dict[str, Any]:
    mapping = {**DEFAULT_ATTRIBUTE_MAPPING, **(attribute_mapping or {})}
    return {
        "idp": idp,
        "sp": {"entity_id": sp_entity_id(slug)},
        "attribute_mapping": mapping,
        "advanced": dict(SECURITY_SETTINGS),
        # our own keys: allowed scopes of eduPersonScopedAffiliation, where the metadata came from
        "portal": {"scopes": scopes or [], "metadata_source": metadata_source},
    }


@transaction.atomic
def register_idp(
    *,
    slug: str,
    name: str,
    metadata: str,
    attribute_mapping: dict[str, list[str]] | None = None,
    scopes: list[str] | None = None,
) -> tuple[SocialApp, bool]:
    """Create or update the ``SocialApp`` of an IdP from its metadata (file, URL or XML).

    An existing app keeps its attribute mapping and scopes unless new ones are given, so an
    admin's edits in the admin survive a metadata refresh.
    """
    idp = parse_idp_metadata(metadata)
    app = SocialApp.objects.filter(provider="saml", client_id=slug).first()
    created = app is None
    if app is not None:
        old = app.settings or {}
        attribute_mapping = attribute_mapping or old.get("attribute_mapping")
        scopes = scopes if scopes is not None else old.get("portal", {}).get("scopes")
    else:
        app = SocialApp(provider="saml", client_id=slug)
    app.name = name or app.name or slug
    app.provider_id = idp["entity_id"]
    source = "" if metadata.lstrip().startswith("<") else metadata
    app.settings = build_app_settings(
        slug=slug,
        idp=idp,
        attribute_mapping=attribute_mapping,
        scopes=scopes,
        metadata_source=source,
    )
    app.save()
    return app, created


def sp_metadata_xml(slug: str) -> str:
    """The SP metadata XML for one IdP, as served at its stable URL."""
    from urllib.parse import urlsplit

    base = urlsplit(settings.PORTAL_BASE_URL)
    request = RequestFactory().get(
        reverse("saml_metadata", args=[slug]),
        HTTP_HOST=base.netloc,
        secure=base.scheme == "https",
    )
    # the host is ours (PORTAL_BASE_URL), not a client's: no ALLOWED_HOSTS check needed
    request.get_host = lambda: base.netloc  # type: ignore[method-assign]
    from allauth.socialaccount.providers.saml.views import metadata

    response = metadata(request, organization_slug=slug)
    return response.content.decode()


def mapping_for(app: SocialApp | None) -> dict[str, list[str]]:
    mapping = dict(DEFAULT_ATTRIBUTE_MAPPING)
    if app is not None:
        for key, names in (app.settings or {}).get("attribute_mapping", {}).items():
            mapping[key] = [names] if isinstance(names, str) else list(names)
    return mapping


def attribute_values(attributes: dict[str, list[str]], names: list[str]) -> list[str]:
    """All values of the first attribute name present (the mapping keeps only the first)."""
    for name in names:
        values = attributes.get(name)
        if values:
            return [str(value) for value in values]
    return []


def affiliations_from(
    attributes: dict[str, list[str]], mapping: dict[str, list[str]], scopes: list[str]
) -> list[str]:
    """Every asserted affiliation; scoped ones count only with one of the allowed scopes."""
    result = []
    for name in mapping.get("affiliation", []):
        for value in attributes.get(name) or []:
            value = str(value).strip().lower()
            if "@" in value:
                value, _at, scope = value.partition("@")
                if scope not in {s.lower() for s in scopes}:
                    continue
            if value and value not in result:
                result.append(value)
    return result


def date_of_birth_from(
    attributes: dict[str, list[str]], mapping: dict[str, list[str]]
) -> datetime.date | None:
    """The released birth date (SCHAC ``YYYYMMDD``; ``YYYY-MM-DD`` is accepted too)."""
    for value in attribute_values(attributes, mapping.get("date_of_birth", [])):
        digits = value.strip().replace("-", "")
        try:
            return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            continue
    return None


def age_on(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def scopes_for(app: SocialApp | None) -> list[str]:
    from portal.identity.models import Institution

    scopes = list((app.settings or {}).get("portal", {}).get("scopes", [])) if app else []
    return scopes or list(Institution.current().mail_domains)

"""Identity providers: one allauth ``SocialApp`` per IdP, its settings JSON and attributes.

The settings follow the security baseline (docs/POLICY.md): strict mode, signed assertions, no
IdP-initiated login, deprecated algorithms (SHA-1) rejected, a persistent NameID requested,
AuthnRequests signed. The SP's key pair is never stored with them: ``runtime_settings`` adds
it (and the SP metadata's validity) from ``SAML_SP_KEY_DIR`` each time allauth loads the app.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.utils import OneLogin_Saml2_XML

# eduPerson and SCHAC names (URI form first, then the friendly names some IdPs send).
DEFAULT_ATTRIBUTE_MAPPING: dict[str, list[str]] = {
    # the stable identifier, in this order (``stable_identifier``): eduPersonPrincipalName,
    # then the SAML subject-id or pairwise-id, then a persistent NameID
    "uid": [
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
        "eduPersonPrincipalName",
    ],
    "subject_id": [
        "urn:oasis:names:tc:SAML:attribute:subject-id",
        "urn:oasis:names:tc:SAML:attribute:pairwise-id",
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
    # groups that may grant administration (AdminGroupRule); read at login, never stored
    "groups": [
        "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",  # isMemberOf
        "isMemberOf",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",  # eduPersonEntitlement
        "eduPersonEntitlement",
    ],
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
    # Without a requested format SimpleSAMLphp (and others) send a transient NameID, which
    # names nobody twice; a persistent one is the last stable identifier (docs/POLICY.md).
    "name_id_format": OneLogin_Saml2_Constants.NAMEID_PERSISTENT,
    # signed with the SP key of SAML_SP_KEY_DIR (added at run time, never stored)
    "authn_request_signed": True,
    "logout_request_signed": True,
    "logout_response_signed": True,
    # Encrypted assertions are always accepted (the key is in the SP metadata); true here
    # refuses unencrypted ones from this IdP.
    "want_assertion_encrypted": False,
}

NAME_ID_FORMATS = {
    "persistent": OneLogin_Saml2_Constants.NAMEID_PERSISTENT,
    "transient": OneLogin_Saml2_Constants.NAMEID_TRANSIENT,
    "unspecified": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
    "email": OneLogin_Saml2_Constants.NAMEID_EMAIL_ADDRESS,
}

# Attributes whose values are scoped by definition ("value@scope"): the scope is checked.
SCOPED_IDENTIFIERS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    "eduPersonPrincipalName",
    "urn:oasis:names:tc:SAML:attribute:subject-id",
    "urn:oasis:names:tc:SAML:attribute:pairwise-id",
}


logger = logging.getLogger(__name__)


class MetadataError(ValueError):
    """The IdP metadata could not be read or holds no usable IdP."""


def read_metadata(source: str, *, timeout: int = 10) -> str:
    """The metadata XML from a URL, a file path or the XML itself."""
    try:
        if source.startswith(("https://", "http://")):
            xml = OneLogin_Saml2_IdPMetadataParser.get_metadata(source, timeout=timeout)
            return xml.decode() if isinstance(xml, bytes) else xml
        if source.lstrip().startswith("<"):
            return source
        with open(source, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise MetadataError(str(error)) from error
    except Exception as error:  # urllib's errors (unreachable, HTTP status) or no IdP in it
        raise MetadataError(f"cannot fetch the metadata: {error}") from error


def verify_metadata_signature(xml: str, certificate: str) -> None:
    """Refuse metadata (an aggregate or one entity) not signed by the federation's key.

    The signature must cover the whole document (its root element), so nothing outside the
    signed part can be slipped in.
    """
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    try:
        root = OneLogin_Saml2_XML.to_etree(xml)
    except Exception as error:
        raise MetadataError(f"unreadable metadata: {error}") from error
    references = OneLogin_Saml2_XML.query(root, "/*/ds:Signature/ds:SignedInfo/ds:Reference")
    root_id = root.get("ID")
    if len(references) != 1 or references[0].get("URI") not in {"", f"#{root_id}"}:
        raise MetadataError("the metadata's signature does not cover the whole document")
    if not OneLogin_Saml2_Utils.validate_metadata_sign(xml, certificate):
        raise MetadataError("the metadata's signature is missing or not the federation's")


SHIBMD_NS = "urn:mace:shibboleth:metadata:1.0"


def declared_scopes(xml: str, entity_id: str | None) -> list[dict[str, Any]]:
    """The ``shibmd:Scope`` elements the IdP declares in its metadata (entity or IdP role).

    Each is ``{"scope": text, "regexp": bool}``; a regular-expression scope must match the
    whole scope of a value. Scopes of other entities of an aggregate are never taken.
    """
    from lxml import etree

    root = OneLogin_Saml2_XML.to_etree(xml)
    entities = OneLogin_Saml2_XML.query(root, "//md:EntityDescriptor")
    if root.tag.endswith("}EntityDescriptor"):
        entities = [root, *entities]
    chosen = None
    for node in entities:
        if OneLogin_Saml2_XML.query(node, "./md:IDPSSODescriptor") and (
            entity_id is None or node.get("entityID") == entity_id
        ):
            chosen = node
            break
    if chosen is None:
        return []
    found: list[dict[str, Any]] = []
    for element in chosen.iter(etree.QName(SHIBMD_NS, "Scope").text):
        text = (element.text or "").strip()
        if not text:
            continue
        regexp = (element.get("regexp") or "false").strip().lower() in {"true", "1"}
        entry = {"scope": text if regexp else text.lower(), "regexp": regexp}
        if entry not in found:
            found.append(entry)
    return found


def metadata_valid_until(xml: str, entity_id: str | None) -> datetime.datetime | None:
    """The earliest ``validUntil`` of the document and of the chosen entity (None if none)."""
    from django.utils.dateparse import parse_datetime

    root = OneLogin_Saml2_XML.to_etree(xml)
    nodes = [root]
    if entity_id:
        nodes += [
            node
            for node in OneLogin_Saml2_XML.query(root, "//md:EntityDescriptor")
            if node.get("entityID") == entity_id
        ]
    times = [parse_datetime(node.get("validUntil") or "") for node in nodes]
    times = [value for value in times if value is not None]
    return min(times) if times else None


def parse_idp_metadata(
    source: str,
    *,
    entity_id: str | None = None,
    federation_cert: str | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The IdP part of allauth's settings from metadata (a file path, a URL or the XML).

    ``entity_id`` picks one IdP of an aggregate (DFN-AAI, eduGAIN); ``federation_cert`` (PEM)
    makes the document's signature mandatory; an expired ``validUntil`` is refused.
    """
    from django.utils import timezone

    xml = read_metadata(source)
    if entity_id is not None and ("'" in entity_id or '"' in entity_id):
        raise MetadataError("an entity ID holds no quotes")
    if federation_cert:
        verify_metadata_signature(xml, federation_cert)
    try:
        valid_until = metadata_valid_until(xml, entity_id)
        scopes = declared_scopes(xml, entity_id)
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id)
    except Exception as error:  # the parser raises plain exceptions on broken XML
        raise MetadataError(f"unreadable metadata: {error}") from error
    if valid_until is not None and valid_until <= (now or timezone.now()):
        raise MetadataError(f"the metadata expired at {valid_until.isoformat()} (validUntil)")
    idp = parsed.get("idp") or {}
    cert = idp.get("x509cert") or (idp.get("x509certMulti", {}).get("signing") or [None])[0]
    if not idp.get("entityId") or not idp.get("singleSignOnService", {}).get("url") or not cert:
        if entity_id:
            raise MetadataError(f"no usable IdP with the entity ID {entity_id} in the metadata")
        raise MetadataError("metadata lacks an IdP entity ID, SSO endpoint or signing key")
    result = {
        "entity_id": idp["entityId"],
        "sso_url": idp["singleSignOnService"]["url"],
        "x509cert": cert,
    }
    # During an IdP's key rollover its metadata lists the old and the new signing certificate;
    # a response signed with either must be accepted (see acs.py), not only the first.
    signing = [c for c in (idp.get("x509certMulti", {}).get("signing") or []) if c]
    if len(signing) > 1:
        result["x509cert_multi"] = signing
    # shibmd:Scope: the scopes this IdP may assert (checked at every login, see scopes_for)
    result["declared_scopes"] = scopes
    slo = idp.get("singleLogoutService", {}).get("url")
    if slo:
        result["slo_url"] = slo
    if valid_until is not None:
        result["valid_until"] = valid_until.isoformat()
    return result


def sp_entity_id(slug: str) -> str:
    """The SP's entity ID for one IdP: its stable metadata URL under ``PORTAL_BASE_URL``."""
    return settings.PORTAL_BASE_URL + reverse("saml_metadata", args=[slug])


def build_app_settings(
    *,
    slug: str,
    idp: dict[str, Any],
    old: dict[str, Any] | None = None,
    attribute_mapping: dict[str, list[str]] | None = None,
    scopes: list[str] | None = None,
    advanced: dict[str, Any] | None = None,
    portal: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The app's settings: the old ones kept, the metadata's replaced, the given ones set.

    Everything not derived from the metadata (mapping, scopes, security options such as the
    NameID format or encryption, an admin's own keys) survives a refresh; a key missing from
    an old app gets the baseline's default.
    """
    old = old or {}
    result = dict(old)
    result["idp"] = dict(idp)
    result["sp"] = {**old.get("sp", {}), "entity_id": sp_entity_id(slug)}
    mapping = attribute_mapping or old.get("attribute_mapping") or {}
    result["attribute_mapping"] = {**DEFAULT_ATTRIBUTE_MAPPING, **mapping}
    result["advanced"] = {**SECURITY_SETTINGS, **old.get("advanced", {}), **(advanced or {})}
    # our own keys: allowed scopes, where the metadata came from, how it is checked
    old_portal = old.get("portal", {})
    result["portal"] = {
        **old_portal,
        "scopes": list(scopes if scopes is not None else old_portal.get("scopes", [])),
        **(portal or {}),
    }
    return result


@transaction.atomic
def register_idp(
    *,
    slug: str,
    name: str,
    metadata: str,
    attribute_mapping: dict[str, list[str]] | None = None,
    scopes: list[str] | None = None,
    entity_id: str | None = None,
    federation_cert: str | None = None,
    advanced: dict[str, Any] | None = None,
) -> tuple[SocialApp, bool]:
    """Create or update the ``SocialApp`` of an IdP from its metadata (file, URL or XML).

    Idempotent: a rerun (the way to refresh metadata) changes only what the metadata says and
    the options given; an admin's edits survive. The entity ID and the federation's
    certificate of an earlier run are reused, so a refresh checks the signature again.
    """
    app = SocialApp.objects.select_for_update().filter(provider="saml", client_id=slug).first()
    created = app is None
    old = (app.settings or {}) if app is not None else {}
    old_portal = old.get("portal", {})
    entity_id = entity_id or old_portal.get("entity_id") or None
    federation_cert = federation_cert or old_portal.get("federation_cert") or None
    idp = parse_idp_metadata(metadata, entity_id=entity_id, federation_cert=federation_cert)
    if app is None:
        app = SocialApp(provider="saml", client_id=slug)
    app.name = name or app.name or slug
    app.provider_id = idp["entity_id"]
    source = "" if metadata.lstrip().startswith("<") else metadata
    portal = {"metadata_source": source or old_portal.get("metadata_source", "")}
    if entity_id:
        portal["entity_id"] = entity_id
    if federation_cert:
        portal["federation_cert"] = federation_cert
    app.settings = build_app_settings(
        slug=slug,
        idp=idp,
        old=old,
        attribute_mapping=attribute_mapping,
        scopes=scopes,
        advanced=advanced,
        portal=portal,
    )
    app.save()
    return app, created


def refresh_all_metadata() -> dict[str, str]:
    """Fetch again the metadata of every IdP registered from a URL or file (nightly).

    Each refresh is ``register_idp`` with the stored source, entity ID and federation
    certificate, so a signature is verified again and ``validUntil`` moves on; a failure
    leaves that IdP's last good metadata in place and is logged (no personal data).
    """
    results: dict[str, str] = {}
    for app in SocialApp.objects.filter(provider="saml").order_by("client_id"):
        source = (app.settings or {}).get("portal", {}).get("metadata_source") or ""
        if not source:
            continue
        try:
            register_idp(slug=app.client_id, name=app.name, metadata=source)
        except MetadataError as error:
            logger.error("IdP metadata of %s not refreshed: %s", app.client_id, error)
            results[app.client_id] = "failed"
        else:
            results[app.client_id] = "refreshed"
    return results


def metadata_expired(app_settings: dict[str, Any], *, now: datetime.datetime) -> bool:
    """True once the IdP metadata's ``validUntil`` has passed (it is no longer to be used)."""
    from django.utils.dateparse import parse_datetime

    valid_until = parse_datetime((app_settings.get("idp") or {}).get("valid_until") or "")
    return valid_until is not None and valid_until <= now


def runtime_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    """The app's settings with what is never stored: the SP key pair and metadata validity.

    The key pair comes from ``SAML_SP_KEY_DIR`` (``portal.identity.sso.keys``); during a key
    rotation the other certificate is published too (python3-saml's ``x509certNew``).
    """
    from django.utils import timezone

    from portal.identity.sso import keys

    result = dict(app_settings)
    # an app registered before a baseline key existed gets its default (stored ones win)
    advanced = {**SECURITY_SETTINGS, **(result.get("advanced") or {})}
    if not advanced.get("private_key"):
        current = keys.current()
        advanced["x509cert"] = current.certificate
        advanced["private_key"] = current.private_key
        other = keys.other_published()
        if other is not None:
            advanced["x509cert_new"] = other.certificate
    valid_until = timezone.now() + datetime.timedelta(days=settings.SAML_SP_METADATA_VALID_DAYS)
    advanced["metadata_valid_until"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    advanced["metadata_cache_duration"] = f"PT{settings.SAML_SP_METADATA_CACHE_HOURS}H"
    result["advanced"] = advanced
    return result


def sp_metadata_for(request: HttpRequest, app: SocialApp) -> tuple[str, list[str]]:
    """The SP metadata XML of ``app`` (as loaded by the adapter, with the keys) and its errors."""
    from allauth.socialaccount.providers.saml.utils import build_saml_config
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    config = build_saml_config(request, app.settings, app.client_id)
    # publish the certificate for encryption too (python3-saml does only when it is required)
    config["security"]["wantAssertionsEncrypted"] = True
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    metadata = saml_settings.get_sp_metadata()
    if isinstance(metadata, bytes):
        metadata = metadata.decode()
    return metadata, saml_settings.validate_metadata(metadata)


def sp_metadata_xml(slug: str) -> str:
    """The SP metadata XML for one IdP, as served at its stable URL."""
    from urllib.parse import urlsplit

    from allauth.socialaccount.adapter import get_adapter

    base = urlsplit(settings.PORTAL_BASE_URL)
    request = RequestFactory().get(
        reverse("saml_metadata", args=[slug]),
        HTTP_HOST=base.netloc,
        secure=base.scheme == "https",
    )
    # the host is ours (PORTAL_BASE_URL), not a client's: no ALLOWED_HOSTS check needed
    request.get_host = lambda: base.netloc  # type: ignore[method-assign]
    app = get_adapter().get_app(request, provider="saml", client_id=slug)
    metadata, _errors = sp_metadata_for(request, app)
    return metadata


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


def groups_from(attributes: dict[str, list[str]], mapping: dict[str, list[str]]) -> list[str]:
    """Every group value the IdP asserted under any of the mapped names (isMemberOf and
    eduPersonEntitlement together): each may match an administrator group."""
    return [
        str(value).strip()
        for name in mapping.get("groups", [])
        for value in attributes.get(name) or []
        if str(value).strip()
    ]


def affiliations_from(
    attributes: dict[str, list[str]], mapping: dict[str, list[str]], scopes: AllowedScopes
) -> list[str]:
    """Every asserted affiliation; scoped ones count only with a scope the IdP declared.

    An eduPersonScopedAffiliation of another scope (``member@uni.example.evil.com``) is
    ignored, with its reason in the log (the attribute's name, never its value).
    """
    result = []
    for name in mapping.get("affiliation", []):
        for value in attributes.get(name) or []:
            value = str(value).strip().lower()
            if "@" in value:
                value, _at, scope = value.rpartition("@")
                if not scopes.allows(scope):
                    logger.warning(
                        "SSO attribute %s ignored: its scope is not declared for the IdP", name
                    )
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


class AllowedScopes:
    """The scopes an IdP may assert in scoped attributes (``value@scope``).

    Exact scopes compare case-insensitively and as a whole: ``uni.example`` allows
    ``uni.example`` only, never ``uni.example.evil.com`` nor ``evil.uni.example``. A
    regular-expression scope (``shibmd:Scope regexp="true"``) must match the whole scope.
    """

    def __init__(self, exact: list[str], patterns: list[str] | None = None) -> None:
        self.exact = {scope.strip().lower() for scope in exact if scope and scope.strip()}
        self.patterns = list(patterns or [])

    def allows(self, scope: str) -> bool:
        scope = scope.strip().lower()
        if not scope:
            return False
        if scope in self.exact:
            return True
        for pattern in self.patterns:
            try:
                if re.fullmatch(pattern, scope, flags=re.IGNORECASE):
                    return True
            except re.error:
                continue
        return False

    def __bool__(self) -> bool:
        return bool(self.exact or self.patterns)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AllowedScopes):
            return self.exact == other.exact and self.patterns == other.patterns
        return NotImplemented

    def __repr__(self) -> str:
        return f"AllowedScopes({sorted(self.exact)!r}, {self.patterns!r})"


def scopes_for(app: SocialApp | None) -> AllowedScopes:
    """The scopes declared for this IdP (docs/POLICY.md, SAML scopes).

    In this order: the scope list an admin configured for the IdP (``portal.scopes`` in its
    settings), else the ``shibmd:Scope`` elements of its metadata, else the institution's own
    mail domains (an IdP registered without either, such as a single-institution setup).
    Another IdP's scopes never count: each IdP may assert only its own.
    """
    from portal.identity.models import Institution

    app_settings = (app.settings or {}) if app is not None else {}
    configured = [s for s in app_settings.get("portal", {}).get("scopes", []) if s]
    if configured:
        return AllowedScopes(configured)
    declared = (app_settings.get("idp") or {}).get("declared_scopes") or []
    if declared:
        return AllowedScopes(
            [entry["scope"] for entry in declared if not entry.get("regexp")],
            [entry["scope"] for entry in declared if entry.get("regexp")],
        )
    return AllowedScopes(list(Institution.current().mail_domains))


class ScopeNotDeclared(Exception):
    """A scoped identifier carries a scope the IdP has not declared: the login is refused."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


def _scope_allowed(value: str, scopes: AllowedScopes) -> bool:
    scope = value.rpartition("@")[2] if "@" in value else ""
    return scopes.allows(scope)


def stable_identifier(
    *,
    attributes: dict[str, list[str]],
    mapping: dict[str, list[str]],
    scopes: AllowedScopes,
    name_id: str | None,
    name_id_format: str | None,
) -> tuple[str, str] | None:
    """The person's stable identifier and where it came from, or None (docs/POLICY.md).

    In this order: eduPersonPrincipalName, the SAML subject-id or pairwise-id (each only with
    one of the allowed scopes), a persistent NameID. A transient (or unspecified, or e-mail)
    NameID names nobody twice and is never used: without a stable identifier the login is
    refused instead of creating a new account at every login.

    A scoped identifier whose scope the IdP has not declared raises ``ScopeNotDeclared``:
    the IdP asserts someone it may not speak for (``…@uni.example.evil.com``), so the login
    is refused as a whole rather than falling back to the NameID, which would make that
    assertion an account of its own.
    """
    for key in ("uid", "subject_id"):
        for name in mapping.get(key, []):
            values = [str(value).strip() for value in attributes.get(name) or [] if value]
            if not values:
                continue
            value = values[0]
            if (name in SCOPED_IDENTIFIERS or "@" in value) and not _scope_allowed(value, scopes):
                logger.warning("SSO identifier attribute %s has a scope not declared", name)
                raise ScopeNotDeclared(name)
            return value, name
    if name_id and name_id_format == OneLogin_Saml2_Constants.NAMEID_PERSISTENT:
        return name_id, "persistent NameID"
    return None

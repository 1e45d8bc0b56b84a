"""The development identity provider (pysaml2), hosted by the portal under ``/dev-idp/``.

Only when ``settings.DEV_IDP_ENABLED`` (default: ``DEBUG``): it lets a newcomer log in by SSO
as one of ``portal.identity.demo.DEMO_PEOPLE`` with no external system. Its signing key and
certificate are generated at first use under ``var/dev-idp/`` (never committed). It signs
assertions with RSA-SHA256 (pysaml2 defaults to SHA-1, which python3-saml rightly refuses).
pysaml2 is a development dependency and is imported only here.
"""

from __future__ import annotations

import datetime
import functools
import secrets
import threading
from pathlib import Path

from django.conf import settings

from portal.identity import demo

SLUG = "demo"
NAME = "Demo University"
SESSION_KEY = "dev_idp_request"
_lock = threading.Lock()


def base_url() -> str:
    return settings.PORTAL_BASE_URL + "/dev-idp"


def entity_id() -> str:
    return base_url() + "/metadata/"


def key_dir() -> Path:
    return Path(settings.DEV_IDP_KEY_DIR)


def ensure_key_pair() -> tuple[Path, Path]:
    """The IdP's signing key and self-signed certificate, generated at first use."""
    directory = key_dir()
    key_path, cert_path = directory / "idp-key.pem", directory / "idp-cert.pem"
    with _lock:
        if key_path.exists() and cert_path.exists():
            return key_path, cert_path
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Development IdP")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def certificate_base64() -> str:
    _key, cert_path = ensure_key_pair()
    lines = cert_path.read_text().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def config_dict(sp_metadata: list[str] | None = None) -> dict:
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    key_path, cert_path = ensure_key_pair()
    config = {
        "entityid": entity_id(),
        "service": {
            "idp": {
                "name": NAME,
                "endpoints": {
                    "single_sign_on_service": [
                        (base_url() + "/sso/", BINDING_HTTP_REDIRECT),
                        (base_url() + "/sso/", BINDING_HTTP_POST),
                    ],
                    "single_logout_service": [(base_url() + "/slo/", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                # shibmd:Scope in the metadata: the only scope this IdP may assert
                "scope": ["uni.example"],
                "sign_response": False,
                "sign_assertion": True,
                # under service.idp, where pysaml2 reads them: top-level keys are ignored, and
                # without them it signs with RSA-SHA1, which python3-saml rightly refuses
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "want_authn_requests_signed": False,
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
            }
        },
        "key_file": str(key_path),
        "cert_file": str(cert_path),
        "xmlsec_binary": settings.XMLSEC1_BINARY,
        "allow_unknown_attributes": True,
    }
    if sp_metadata:
        config["metadata"] = {"inline": sp_metadata}
    return config


@functools.cache
def _server_for(sp_metadata: tuple[str, ...], key_dir: str):  # noqa: ANN202
    from saml2.config import IdPConfig
    from saml2.server import Server

    config = IdPConfig()
    config.load(config_dict(list(sp_metadata)))
    return Server(config=config)


def server(sp_metadata: tuple[str, ...] = ()):  # noqa: ANN201
    """A pysaml2 ``Server`` of the development IdP (cached per key and set of SP metadata)."""
    return _server_for(tuple(sp_metadata), settings.DEV_IDP_KEY_DIR)


def server_with(**idp_service: object):  # noqa: ANN201
    """An uncached ``Server`` with some ``service.idp`` settings changed (tests of refusals)."""
    from saml2.config import IdPConfig
    from saml2.server import Server

    config_data = config_dict()
    config_data["service"]["idp"].update(idp_service)
    config = IdPConfig()
    config.load(config_data)
    return Server(config=config)


def metadata_xml() -> str:
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string

    config = IdPConfig()
    config.load(config_dict())
    return create_metadata_string(None, config=config, sign=False).decode()


def identity_of(person: demo.DemoPerson) -> dict[str, list[str]]:
    """The attributes the IdP releases for a demo person (friendly names; sent as URIs)."""
    identity = {
        "eduPersonPrincipalName": [person.eppn],
        "mail": [person.email],
        "givenName": [person.given_name],
        "sn": [person.surname],
        "eduPersonAffiliation": list(person.affiliations),
        "eduPersonScopedAffiliation": [f"{a}@uni.example" for a in person.affiliations],
    }
    if person.groups:
        identity["isMemberOf"] = list(person.groups)
    if person.date_of_birth:
        identity["schacDateOfBirth"] = [person.date_of_birth.replace("-", "")]
    return identity


def person_named(username: str) -> demo.DemoPerson | None:
    return next((p for p in demo.DEMO_PEOPLE if p.username == username), None)


def check_password(username: str, password: str) -> demo.DemoPerson | None:
    person = person_named(username)
    if person is None or not secrets.compare_digest(password, demo.DEMO_PASSWORD):
        return None
    return person


def build_response(
    *,
    person: demo.DemoPerson,
    in_response_to: str | None,
    destination: str,
    sp_entity_id: str,
    identity: dict[str, list[str]] | None = None,
    sp_metadata: tuple[str, ...] = (),
    idp_server=None,  # noqa: ANN001 (a pysaml2 Server; tests pass one with other settings)
    sign_assertion: bool = True,
    name_id_format: str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    encrypt_for: str | None = None,
) -> str:
    """A signed SAML response (XML) asserting ``person`` to the SP at ``destination``.

    ``encrypt_for`` (the SP's certificate, PEM) encrypts the assertion for it; a transient
    ``name_id_format`` gets a new random NameID each time, as real IdPs send it.
    """
    from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_TRANSIENT, NameID

    idp = idp_server or server(sp_metadata)
    text = secrets.token_hex(16) if name_id_format == NAMEID_FORMAT_TRANSIENT else person.username
    extra: dict = {}
    if encrypt_for:
        extra = {
            "encrypt_assertion": True,
            "encrypt_cert_assertion": encrypt_for,
            "encrypt_assertion_self_contained": False,
        }
    response = idp.create_authn_response(
        identity if identity is not None else identity_of(person),
        in_response_to=in_response_to,
        destination=destination,
        sp_entity_id=sp_entity_id,
        name_id=NameID(format=name_id_format, text=text),
        authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": entity_id()},
        sign_assertion=sign_assertion,
        sign_response=False,
        **extra,
    )
    return str(response)

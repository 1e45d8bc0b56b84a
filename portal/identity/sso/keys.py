"""The service provider's key pair: signs AuthnRequests and logout messages, decrypts assertions.

Kept in files under ``settings.SAML_SP_KEY_DIR`` (default ``var/saml-sp/``, never committed),
never in the database, so a database dump or the admin never shows the private key
(docs/POLICY.md, security baseline). Each pair is one PEM file (key and certificate), created
atomically at first use, so concurrent workers agree on one key.

Rotation without an outage, in three steps (``manage.py sp_key``):

1. ``--prepare``: a new pair ("next") is created; the SP metadata publishes both certificates,
   the IdPs' operators load it.
2. ``--activate``: the next pair becomes the current one (signing); the old one ("previous")
   stays published and still decrypts assertions encrypted for it.
3. ``--retire``: the previous pair is deleted.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

CURRENT, NEXT, PREVIOUS = "sp", "sp-next", "sp-previous"
VALID_YEARS = 10


@dataclass(frozen=True)
class KeyPair:
    private_key: str  # PEM
    certificate: str  # PEM

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate's DER bytes, as IdP operators compare them."""
        body = "".join(
            line for line in self.certificate.strip().splitlines() if not line.startswith("-----")
        )
        return hashlib.sha256(base64.b64decode(body)).hexdigest()


def key_dir() -> Path:
    return Path(settings.SAML_SP_KEY_DIR)


def _path(name: str) -> Path:
    return key_dir() / f"{name}.pem"


def _split(pem: str) -> KeyPair:
    marker = "-----BEGIN CERTIFICATE-----"
    key, _sep, cert = pem.partition(marker)
    return KeyPair(private_key=key.strip() + "\n", certificate=marker + cert.rstrip() + "\n")


def _read(name: str) -> KeyPair | None:
    try:
        return _split(_path(name).read_text())
    except FileNotFoundError:
        return None


def _generate_pem(common_name: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * VALID_YEARS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem + cert.public_bytes(serialization.Encoding.PEM).decode()


def _create(name: str) -> KeyPair:
    """Create the pair ``name`` unless it exists; the first of concurrent creators wins."""
    directory = key_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = _read(name)
    if existing is not None:
        return existing
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as handle:  # mkstemp: mode 0600
            handle.write(_generate_pem("Portal SAML service provider"))
        with contextlib.suppress(FileExistsError):  # another worker was first
            os.link(temporary, _path(name))  # atomic: never a half-written pair
    finally:
        os.unlink(temporary)
    pair = _read(name)
    assert pair is not None
    return pair


def current() -> KeyPair:
    """The pair that signs and decrypts, generated at first use."""
    return _read(CURRENT) or _create(CURRENT)


def other_published() -> KeyPair | None:
    """The second certificate in the SP metadata during a rotation (next, else previous)."""
    return _read(NEXT) or _read(PREVIOUS)


def decryption_keys() -> list[KeyPair]:
    """Every private key an IdP may have encrypted for, current first."""
    pairs = [current(), _read(NEXT), _read(PREVIOUS)]
    return [pair for pair in pairs if pair is not None]


def prepare_rotation() -> KeyPair:
    """Step 1: create the next pair (published at once beside the current one)."""
    if _read(PREVIOUS) is not None:
        raise RuntimeError("retire the previous key first (sp_key --retire)")
    current()
    return _create(NEXT)


def activate_next() -> KeyPair:
    """Step 2: the next pair signs from now on; the old one stays published as previous."""
    upcoming = _read(NEXT)
    if upcoming is None:
        raise RuntimeError("no next key: prepare one first (sp_key --prepare)")
    os.replace(_path(CURRENT), _path(PREVIOUS))
    os.replace(_path(NEXT), _path(CURRENT))
    return upcoming


def retire_previous() -> bool:
    """Step 3: delete the previous pair; False when there was none."""
    try:
        _path(PREVIOUS).unlink()
    except FileNotFoundError:
        return False
    return True


def status() -> dict[str, str]:
    """Fingerprints of the pairs present (what the IdPs' operators compare)."""
    pairs = {"current": _read(CURRENT), "next": _read(NEXT), "previous": _read(PREVIOUS)}
    return {role: pair.fingerprint for role, pair in pairs.items() if pair is not None}

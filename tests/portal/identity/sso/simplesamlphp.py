"""SimpleSAMLphp 1.19 from Debian as an institution's IdP, run by PHP's built-in server.

The configuration folder is generated per test session (``SIMPLESAMLPHP_CONFIG_DIR``): Debian's
``config.php`` with the settings a plain-HTTP loopback test needs (``session.cookie.secure``
off, a generated ``secretsalt``), an ``exampleauth:UserPass`` source whose people carry
``urn:oid`` attributes, sent with NameFormat ``uri`` as German federations release them, a
signing key made with ``cryptography`` and one SP-remote entry per portal IdP slug, each with
the behaviour under test (encrypted assertions, a signature only on the response, …).
The PHP files only read JSON written here, so no value is ever pasted into PHP source.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from portal.identity import demo
from portal.identity.sso import keys

SSP_ROOT = Path("/usr/share/simplesamlphp")
DEBIAN_CONFIG = Path("/etc/simplesamlphp/config.php")
PHP = "/usr/bin/php"
PASSWORD = "federation-password"  # noqa: S105 (a test IdP's users)

OID = {
    "eppn": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "affiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
    "scopedAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
    "dateOfBirth": "urn:oid:1.3.6.1.4.1.25178.1.2.3",
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
}
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

# The portal's IdP slugs, each an SP of its own at SimpleSAMLphp with these options.
SP_OPTIONS: dict[str, dict] = {
    "fed": {},
    "fed-enc": {"assertion.encryption": True},
    "fed-outer": {"saml20.sign.assertion": False, "saml20.sign.response": True},
}


def missing() -> str:
    """Why SimpleSAMLphp cannot run here ("" when it can)."""
    if not Path(PHP).exists():
        return f"needs PHP at {PHP} (scripts/bootstrap --with-browser installs php8.2-cli)"
    if not (SSP_ROOT / "www" / "index.php").exists() or not DEBIAN_CONFIG.exists():
        return "needs Debian's simplesamlphp package (scripts/bootstrap --with-browser)"
    probe = subprocess.run([PHP, "-m"], capture_output=True, text=True, check=False)
    if "xml" not in probe.stdout.split():
        return "needs PHP's XML extension (php8.2-xml)"
    return ""


def attributes_of(person: demo.DemoPerson, *, eppn: bool = True, affiliation: bool = True) -> dict:
    result = {
        OID["uid"]: [person.username],
        OID["mail"]: [person.email],
        OID["givenName"]: [person.given_name],
        OID["sn"]: [person.surname],
    }
    if eppn:
        result[OID["eppn"]] = [person.eppn]
    if affiliation:
        result[OID["affiliation"]] = list(person.affiliations)
        result[OID["scopedAffiliation"]] = [f"{a}@uni.example" for a in person.affiliations]
    if person.date_of_birth:
        result[OID["dateOfBirth"]] = [person.date_of_birth.replace("-", "")]
    return result


def federation_users() -> dict[str, dict]:
    """``exampleauth:UserPass`` entries: the demo people, one without affiliation, one without
    eduPersonPrincipalName."""
    people = {p.username: p for p in demo.DEMO_PEOPLE}
    users = {
        f"{name}:{PASSWORD}": attributes_of(people[name])
        for name in ("prof.mueller", "s.yilmaz", "p.jung")
    }
    nobody = demo.DemoPerson("n.affil", "Nora", "Ohne", [], "1990-01-01")
    users[f"n.affil:{PASSWORD}"] = attributes_of(nobody, affiliation=False)
    noeppn = demo.DemoPerson("e.ohne", "Emil", "Ohne", ["student", "member"], "2000-02-02")
    users[f"e.ohne:{PASSWORD}"] = attributes_of(noeppn, eppn=False)
    return users


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SimpleSAMLphp:
    base_url: str  # on "localhost", another site than the portal's 127.0.0.1
    config_dir: Path
    process: subprocess.Popen

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    def idp_initiated_url(self, sp_entity_id: str) -> str:
        from urllib.parse import quote

        return f"{self.base_url}/saml2/idp/SSOService.php?spentityid={quote(sp_entity_id)}"

    def log(self) -> str:
        path = self.config_dir / "log" / "simplesamlphp.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def write_sp_remote(ssp: SimpleSAMLphp, *, portal_url: str) -> None:
    """The portal's SPs (one per slug) as SimpleSAMLphp's ``saml20-sp-remote`` entries.

    Signed AuthnRequests and logout requests are checked against the portal's certificate.
    """
    cert = "".join(
        line
        for line in keys.current().certificate.strip().splitlines()
        if not line.startswith("-----")
    )
    entries = {}
    for slug, options in SP_OPTIONS.items():
        entity_id = f"{portal_url}/accounts/saml/{slug}/metadata/"
        entries[entity_id] = {
            "AssertionConsumerService": [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                    "Location": f"{portal_url}/accounts/saml/{slug}/acs/",
                    "index": 0,
                }
            ],
            "SingleLogoutService": [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                    "Location": f"{portal_url}/accounts/saml/{slug}/sls/",
                }
            ],
            "certData": cert,
            "validate.authnrequest": True,
            "validate.logout": True,
            "NameIDFormat": [PERSISTENT, TRANSIENT],
            "signature.algorithm": RSA_SHA256,
            "authproc": {
                # a persistent NameID (hashed from uid, salt and the SP) for those who ask
                "10": {"class": "saml:PersistentNameID", "attribute": OID["uid"]},
            },
            **options,
        }
    (ssp.config_dir / "metadata" / "sp-remote.json").write_text(json.dumps(entries))


def start(directory: Path) -> SimpleSAMLphp:
    """Generate the configuration in ``directory`` and start PHP's server on a free port."""
    port = free_port()
    base_url = f"http://localhost:{port}"
    for name in ("cert", "metadata", "log", "data", "tmp", "sessions"):
        (directory / name).mkdir(parents=True, exist_ok=True)
    pem = keys._generate_pem("SimpleSAMLphp test IdP")
    pair = keys._split(pem)
    (directory / "cert" / "idp.key").write_text(pair.private_key)
    (directory / "cert" / "idp.crt").write_text(pair.certificate)
    overrides = {
        "baseurlpath": base_url + "/",
        "certdir": str(directory / "cert") + "/",
        "loggingdir": str(directory / "log") + "/",
        "datadir": str(directory / "data") + "/",
        "tempdir": str(directory / "tmp"),
        "metadatadir": str(directory / "metadata") + "/",
        "secretsalt": secrets.token_hex(24),
        "auth.adminpassword": secrets.token_hex(12),
        "technicalcontact_email": "helpdesk@uni.example",
        "logging.handler": "file",
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": True,
        "session.cookie.secure": False,
        # Debian's default "None" needs a secure cookie, which plain HTTP never gets
        "session.cookie.samesite": "Lax",
        "language.cookie.samesite": "Lax",
        "session.phpsession.savepath": str(directory / "sessions"),
        "store.type": "phpsession",
        "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
        "metadata.sources": [{"type": "flatfile"}],
    }
    (directory / "overrides.json").write_text(json.dumps(overrides))
    (directory / "config.php").write_text(
        "<?php\n"
        f"require {json.dumps(str(DEBIAN_CONFIG))};\n"
        "$config = array_merge($config, json_decode("
        "file_get_contents(__DIR__ . '/overrides.json'), true));\n"
        "$config['logging.level'] = SimpleSAML\\Logger::DEBUG;\n"
    )
    (directory / "authsources.json").write_text(
        json.dumps(
            {
                "admin": ["core:AdminPassword"],
                "federation": {"0": "exampleauth:UserPass", **federation_users()},
            }
        )
    )
    (directory / "authsources.php").write_text(
        # JSON's "0" key becomes PHP's 0: the source's class, as exampleauth expects it
        "<?php\n$config = json_decode(file_get_contents(__DIR__ . '/authsources.json'), true);\n"
    )
    hosted = {
        "__DYNAMIC:1__": {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",
            "certificate": "idp.crt",
            "auth": "federation",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
            "signature.algorithm": RSA_SHA256,
            "saml20.sign.assertion": True,
            "NameIDFormat": [TRANSIENT, PERSISTENT],
        }
    }
    metadata = directory / "metadata"
    (metadata / "idp-hosted.json").write_text(json.dumps(hosted))
    (metadata / "saml20-idp-hosted.php").write_text(
        "<?php\n$metadata = json_decode(file_get_contents(__DIR__ . '/idp-hosted.json'), true);\n"
    )
    (metadata / "sp-remote.json").write_text("{}")
    (metadata / "saml20-sp-remote.php").write_text(
        "<?php\n$metadata = json_decode(file_get_contents(__DIR__ . '/sp-remote.json'), true);\n"
    )
    env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(directory)}
    process = subprocess.Popen(
        [PHP, "-S", f"127.0.0.1:{port}", "-t", str(SSP_ROOT / "www")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def watch() -> None:
        # PHP's server says "Development Server (http://…) started" once it listens
        for line in process.stderr:  # type: ignore[union-attr]
            if "started" in line:
                ready.set()
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(timeout=30) or process.poll() is not None:
        process.kill()
        raise RuntimeError("PHP's built-in server did not start")
    return SimpleSAMLphp(base_url=base_url, config_dir=directory, process=process)


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)

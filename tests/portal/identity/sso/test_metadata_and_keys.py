"""``add_idp`` reruns keep every setting; aggregates with a verified signature, ``validUntil``
and the nightly refresh; the SP metadata's validity, its keys and their rotation."""

import datetime
import io
import json
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.management import CommandError, call_command
from django.utils import timezone
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from portal.identity.sso import dev_idp, idp, keys
from portal.identity.tasks import refresh_idp_metadata_task

from .conftest import SP_HOST, person

pytestmark = pytest.mark.django_db

OTHER_IDP = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
 entityID="https://idp.other.example/idp"><md:IDPSSODescriptor
 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">
 <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}
 </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService
 Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
 Location="https://idp.other.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"""


def federation_key() -> keys.KeyPair:
    return keys._split(keys._generate_pem("Federation metadata signer"))


FEDERATION = federation_key()


def aggregate(*, valid_days: int = 7, sign_with: keys.KeyPair | None = FEDERATION) -> str:
    """A federation aggregate (DFN-AAI/eduGAIN style) holding the dev IdP and another one."""
    own = dev_idp.metadata_xml().split("?>", 1)[-1]
    until = (timezone.now() + datetime.timedelta(days=valid_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'ID="agg-1" Name="https://federation.example" validUntil="{until}">'
        f"{OTHER_IDP.format(cert=dev_idp.certificate_base64())}{own}</md:EntitiesDescriptor>"
    )
    if sign_with is None:
        return xml
    signed = OneLogin_Saml2_Utils.add_sign(xml, sign_with.private_key, sign_with.certificate)
    return signed.decode() if isinstance(signed, bytes) else signed


@pytest.fixture
def keys_dir(settings, tmp_path, idp_key_dir):
    settings.DEV_IDP_KEY_DIR = str(idp_key_dir)
    settings.SAML_SP_KEY_DIR = str(tmp_path / "sp-keys")
    return tmp_path


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server for metadata files (as a federation publishes them)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def add_idp(*args: str) -> str:
    out = io.StringIO()
    call_command("add_idp", *args, stdout=out)
    return out.getvalue()


def test_a_rerun_keeps_every_setting(keys_dir, demo_institution):
    path = keys_dir / "idp.xml"
    path.write_text(dev_idp.metadata_xml())
    add_idp(
        "--slug", "uni", "--metadata", str(path), "--name", "Uni",
        "--name-id-format", "transient", "--encrypt-assertions", "--no-sign-requests",
        "--scope", "uni.example",
        "--attribute-mapping", json.dumps({"uid": ["urn:oid:1.3.6.1.4.1.5923.1.1.1.10"]}),
    )  # fmt: skip
    app = SocialApp.objects.get(client_id="uni")
    app.settings["advanced"]["private_key"] = "an admin's own key"
    app.settings["contact_person"] = {"technical": {"givenName": "Helpdesk"}}
    app.save()
    before = app.settings

    add_idp("--slug", "uni", "--metadata", str(path))

    app.refresh_from_db()
    assert app.settings == before
    assert app.name == "Uni"
    advanced = app.settings["advanced"]
    assert advanced["name_id_format"] == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    assert advanced["want_assertion_encrypted"] is True
    assert advanced["authn_request_signed"] is False


def test_an_old_app_gains_the_new_defaults_and_keeps_its_own(keys_dir, demo_institution):
    path = keys_dir / "idp.xml"
    path.write_text(dev_idp.metadata_xml())
    add_idp("--slug", "uni", "--metadata", str(path))
    app = SocialApp.objects.get(client_id="uni")
    del app.settings["advanced"]["name_id_format"]
    app.settings["advanced"]["want_assertion_encrypted"] = True
    app.save()

    add_idp("--slug", "uni", "--metadata", str(path))

    app.refresh_from_db()
    assert app.settings["advanced"]["name_id_format"].endswith(":persistent")
    assert app.settings["advanced"]["want_assertion_encrypted"] is True


def test_the_sp_key_pair_is_kept_out_of_the_database(keys_dir, demo_institution):
    path = keys_dir / "idp.xml"
    path.write_text(dev_idp.metadata_xml())
    add_idp("--slug", "uni", "--metadata", str(path))

    metadata = idp.sp_metadata_xml("uni")

    stored = SocialApp.objects.get(client_id="uni").settings
    assert "PRIVATE KEY" not in json.dumps(stored)
    assert not {"private_key", "x509cert", "x509cert_new"} & set(stored["advanced"])
    assert (keys_dir / "sp-keys" / "sp.pem").exists()
    assert keys.current().certificate.split("\n")[1] in metadata.replace("\n", "")


def test_the_sp_metadata_publishes_the_key_for_signing_and_encryption_and_a_validity(
    keys_dir, demo_institution, settings
):
    settings.SAML_SP_METADATA_VALID_DAYS = 90
    settings.SAML_SP_METADATA_CACHE_HOURS = 12
    path = keys_dir / "idp.xml"
    path.write_text(dev_idp.metadata_xml())
    add_idp("--slug", "uni", "--metadata", str(path))

    metadata = idp.sp_metadata_xml("uni")

    assert '<md:KeyDescriptor use="signing">' in metadata
    assert '<md:KeyDescriptor use="encryption">' in metadata
    assert 'AuthnRequestsSigned="true"' in metadata
    assert 'cacheDuration="PT12H"' in metadata
    valid_until = metadata.split('validUntil="', 1)[1].split('"', 1)[0]
    expected = (timezone.now() + datetime.timedelta(days=90)).strftime("%Y-%m-%d")
    assert valid_until.startswith(expected)
    assert "persistent</md:NameIDFormat>" in metadata


def test_a_key_rotation_publishes_both_keys_and_still_decrypts_for_the_old_one(
    keys_dir, demo_institution, sso, settings
):
    settings.ALLOWED_HOSTS = [SP_HOST]
    old = keys.current()
    call_command("sp_key", "--prepare", stdout=io.StringIO())
    new = keys.other_published()

    during = idp.sp_metadata_xml("uni").replace("\n", "")
    assert old.certificate.split("\n")[1] in during and new.certificate.split("\n")[1] in during

    call_command("sp_key", "--activate", stdout=io.StringIO())
    assert keys.current() == new
    request_id = sso.start_login()
    sso.post_response(sso.response_for(person("s.yilmaz"), request_id, encrypt_for=old.certificate))
    assert "_auth_user_id" in sso.client.session

    call_command("sp_key", "--retire", stdout=io.StringIO())
    after = idp.sp_metadata_xml("uni").replace("\n", "")
    assert old.certificate.split("\n")[1] not in after


def test_an_idp_is_chosen_by_entity_id_from_a_signed_aggregate(served, keys_dir, demo_institution):
    base, directory = served
    (directory / "aggregate.xml").write_text(aggregate())
    (directory / "federation.pem").write_text(FEDERATION.certificate)

    add_idp(
        "--slug", "uni", "--metadata", f"{base}/aggregate.xml",
        "--entity-id", dev_idp.entity_id(), "--federation-cert", str(directory / "federation.pem"),
    )  # fmt: skip

    app = SocialApp.objects.get(client_id="uni")
    assert app.provider_id == dev_idp.entity_id()
    assert app.settings["idp"]["sso_url"].endswith("/dev-idp/sso/")
    assert app.settings["idp"]["valid_until"]
    assert app.settings["portal"]["entity_id"] == dev_idp.entity_id()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (lambda: aggregate(sign_with=None), "signature"),
        (lambda: aggregate(sign_with=federation_key()), "signature"),
        (lambda: aggregate().replace("idp.other.example/sso", "evil.example/sso"), "signature"),
        (lambda: aggregate(valid_days=-1), "expired"),
    ],
    ids=["unsigned", "another-key", "tampered", "expired"],
)
def test_an_aggregate_is_refused_unless_signed_by_the_federation_and_valid(
    served, keys_dir, demo_institution, document, message
):
    base, directory = served
    (directory / "aggregate.xml").write_text(document())
    (directory / "federation.pem").write_text(FEDERATION.certificate)

    with pytest.raises(CommandError, match=message):
        add_idp(
            "--slug", "uni", "--metadata", f"{base}/aggregate.xml",
            "--entity-id", dev_idp.entity_id(),
            "--federation-cert", str(directory / "federation.pem"),
        )  # fmt: skip
    assert not SocialApp.objects.exists()


def test_an_unknown_entity_id_is_refused(served, keys_dir, demo_institution):
    base, directory = served
    (directory / "aggregate.xml").write_text(aggregate(sign_with=None))

    with pytest.raises(CommandError, match="no usable IdP"):
        add_idp("--slug", "uni", "--metadata", f"{base}/aggregate.xml", "--entity-id", "https://x")


def test_the_nightly_refresh_fetches_verifies_and_keeps_settings(
    served, keys_dir, demo_institution
):
    base, directory = served
    (directory / "aggregate.xml").write_text(aggregate(valid_days=1))
    (directory / "federation.pem").write_text(FEDERATION.certificate)
    add_idp(
        "--slug", "uni", "--metadata", f"{base}/aggregate.xml", "--name-id-format", "email",
        "--entity-id", dev_idp.entity_id(), "--federation-cert", str(directory / "federation.pem"),
    )  # fmt: skip
    first = SocialApp.objects.get(client_id="uni").settings["idp"]["valid_until"]
    (directory / "aggregate.xml").write_text(aggregate(valid_days=10))

    assert refresh_idp_metadata_task() == {"uni": "refreshed"}

    app = SocialApp.objects.get(client_id="uni")
    assert app.settings["idp"]["valid_until"] > first
    assert app.settings["advanced"]["name_id_format"].endswith(":emailAddress")

    (directory / "aggregate.xml").write_text(aggregate(sign_with=federation_key()))
    assert refresh_idp_metadata_task() == {"uni": "failed"}
    assert SocialApp.objects.get(client_id="uni").settings == app.settings


def test_a_login_is_refused_once_the_idp_metadata_expired(
    keys_dir, demo_institution, sso, settings
):
    settings.ALLOWED_HOSTS = [SP_HOST]
    app = SocialApp.objects.get(client_id="uni")
    app.settings["idp"]["valid_until"] = "2020-01-01T00:00:00+00:00"
    app.save()

    response = sso.login(person("s.yilmaz"))

    assert response.status_code == 400
    assert "_auth_user_id" not in sso.client.session


def rolled_over(metadata: str) -> str:
    """The IdP's metadata during a key rollover: a new signing certificate listed first."""
    new = keys._split(keys._generate_pem("IdP's next signing key"))
    cert = "".join(
        line for line in new.certificate.splitlines() if line and "CERTIFICATE" not in line
    )
    prefix = re.search(r"<(\w+):KeyDescriptor", metadata).group(1)
    descriptor = (
        f'<{prefix}:KeyDescriptor use="signing">'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>"
        f"</ds:KeyInfo></{prefix}:KeyDescriptor>"
    )
    head, marker, tail = metadata.partition(f"<{prefix}:KeyDescriptor")
    return head + descriptor + marker + tail


def without_the_old_certificate(metadata: str) -> str:
    """The metadata once the rollover finished: only the first (new) signing certificate."""
    prefix = re.search(r"<(\w+):KeyDescriptor", metadata).group(1)
    blocks = list(re.finditer(rf"<{prefix}:KeyDescriptor.*?</{prefix}:KeyDescriptor>", metadata))
    second = blocks[1]
    return metadata[: second.start()] + metadata[second.end() :]


def test_a_response_signed_with_either_certificate_of_a_key_rollover_is_accepted(
    keys_dir, demo_institution, settings
):
    from django.test import Client

    from tests.portal.identity.sso.conftest import SSOSession

    settings.ALLOWED_HOSTS = [SP_HOST]
    app, _created = idp.register_idp(
        slug="uni", name="Demo University", metadata=rolled_over(dev_idp.metadata_xml())
    )
    assert len(app.settings["idp"]["x509cert_multi"]) == 2
    assert app.settings["idp"]["x509cert"] != dev_idp.certificate_base64()  # the new one first

    session = SSOSession(Client(HTTP_HOST=SP_HOST, HTTP_ACCEPT_LANGUAGE="en"))
    session.login(person("s.yilmaz"))  # signed with the old key, still listed

    assert "_auth_user_id" in session.client.session


def test_after_the_rollover_the_old_certificate_is_no_longer_accepted(
    keys_dir, demo_institution, settings
):
    idp.register_idp(
        slug="uni", name="Demo University", metadata=rolled_over(dev_idp.metadata_xml())
    )
    finished = without_the_old_certificate(rolled_over(dev_idp.metadata_xml()))
    app, _created = idp.register_idp(slug="uni", name="Demo University", metadata=finished)
    assert "x509cert_multi" not in app.settings["idp"]
    assert app.settings["idp"]["x509cert"] != dev_idp.certificate_base64()

"""The stable identifier (eduPersonPrincipalName, subject-id, persistent NameID), the NameID
format and signature of the AuthnRequest, encrypted assertions and logout after them."""

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from saml2.saml import NAMEID_FORMAT_TRANSIENT

from portal.identity.models import SeenAssertion, User
from portal.identity.sso import dev_idp, keys
from portal.identity.sso.receivers import SAML_SESSION_KEY

from .conftest import SLUG, SP_HOST, person

pytestmark = pytest.mark.django_db

EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
SUBJECT_ID = "urn:oasis:names:tc:SAML:attribute:subject-id"


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def without_eppn(username: str, **extra: list[str]) -> dict[str, list[str]]:
    identity = dev_idp.identity_of(person(username))
    identity.pop("eduPersonPrincipalName")
    identity.update(extra)
    return identity


def test_the_authn_request_asks_for_a_persistent_nameid_and_is_signed(sso):
    response = sso.client.post(f"/accounts/saml/{SLUG}/login/")

    query = parse_qs(urlsplit(response["Location"]).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    assert 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"' in xml
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert query["Signature"]


def test_without_eppn_the_persistent_nameid_gives_the_same_account_each_time(sso, another_sso):
    selin = person("s.yilmaz")
    sso.login(selin, identity=without_eppn("s.yilmaz"))
    another_sso.login(selin, identity=without_eppn("s.yilmaz"))

    account = SocialAccount.objects.get()
    assert account.uid == selin.username  # the persistent NameID
    assert User.objects.filter(is_superuser=False).count() == 1
    assert "_auth_user_id" in another_sso.client.session


def test_the_subject_id_comes_before_the_nameid(sso):
    sso.login(
        person("s.yilmaz"), identity=without_eppn("s.yilmaz", **{SUBJECT_ID: ["x7@uni.example"]})
    )

    assert SocialAccount.objects.get().uid == "x7@uni.example"


def test_only_a_transient_nameid_is_refused_and_creates_nothing(sso):
    response = sso.login(
        person("s.yilmaz"),
        identity=without_eppn("s.yilmaz"),
        name_id_format=NAMEID_FORMAT_TRANSIENT,
    )

    assert response.status_code == 400
    assert "did not release a lasting identifier" in response.content.decode()
    assert not User.objects.filter(is_superuser=False).exists()
    assert not SocialAccount.objects.exists()


def test_an_eppn_of_a_foreign_scope_is_not_an_identifier(sso):
    identity = without_eppn("s.yilmaz", eduPersonPrincipalName=["s.yilmaz@other.example"])

    response = sso.login(
        person("s.yilmaz"), identity=identity, name_id_format=NAMEID_FORMAT_TRANSIENT
    )

    assert response.status_code == 400
    assert not SocialAccount.objects.exists()


def test_an_encrypted_assertion_logs_in_and_is_known_to_the_replay_check(sso, another_sso):
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id, encrypt_for=keys.current().certificate)
    assert "EncryptedAssertion" in xml and "s.yilmaz@uni.example" not in xml

    sso.post_response(xml)

    assert "_auth_user_id" in sso.client.session
    assert SocialAccount.objects.get().uid == "s.yilmaz@uni.example"
    seen = SeenAssertion.objects.get()
    assert seen.assertion_id != xml.split(' ID="', 1)[1].split('"', 1)[0]  # the assertion's
    saml = sso.client.session[SAML_SESSION_KEY]
    assert saml["name_id"] == "s.yilmaz" and saml["session_index"]
    replay = another_sso.post_response(xml)
    assert "already been used" in replay.content.decode()


def test_logout_after_an_encrypted_login_names_the_subject_and_session(sso):
    request_id = sso.start_login()
    sso.post_response(
        sso.response_for(person("s.yilmaz"), request_id, encrypt_for=keys.current().certificate)
    )
    session_index = sso.client.session[SAML_SESSION_KEY]["session_index"]

    response = sso.client.post("/accounts/logout/")

    query = parse_qs(urlsplit(response["Location"]).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    assert ">s.yilmaz</saml:NameID>" in xml
    assert dev_idp.entity_id() not in xml.split("<saml:NameID", 1)[1].split("</saml:NameID>")[0]
    assert f">{session_index}</samlp:SessionIndex>" in xml
    assert query["Signature"]


def test_an_assertion_encrypted_for_another_key_gets_its_own_refusal(sso, tmp_path, settings):
    other = keys._generate_pem("Somebody else")
    certificate = "-----BEGIN CERTIFICATE-----" + other.split("-----BEGIN CERTIFICATE-----")[1]
    request_id = sso.start_login()

    response = sso.post_response(
        sso.response_for(person("s.yilmaz"), request_id, encrypt_for=certificate)
    )

    assert response.status_code == 400
    assert "encrypted for a key the portal does not have" in response.content.decode()
    assert not SocialAccount.objects.exists()

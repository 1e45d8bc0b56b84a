"""Scoped attributes are checked against the scopes the IdP declared (docs/POLICY.md)."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp

from portal.identity.models import LicenceAssignment, User
from portal.identity.sso import dev_idp
from portal.identity.sso.idp import AllowedScopes, declared_scopes, register_idp, scopes_for

from .conftest import SLUG, SP_HOST, person

pytestmark = pytest.mark.django_db

EVIL = "uni.example.evil.com"


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def identity(username: str, **changed: list[str]) -> dict[str, list[str]]:
    values = dev_idp.identity_of(person(username))
    values.update(changed)
    return values


def test_the_metadata_declares_the_idps_scope_and_it_is_stored(idp_app):
    assert declared_scopes(dev_idp.metadata_xml(), None) == [
        {"scope": "uni.example", "regexp": False}
    ]
    app = SocialApp.objects.get(client_id=SLUG)
    assert app.settings["idp"]["declared_scopes"] == [{"scope": "uni.example", "regexp": False}]
    assert scopes_for(app) == AllowedScopes(["uni.example"])


def test_a_principal_name_of_an_undeclared_scope_never_becomes_an_account(sso):
    response = sso.login(
        person("s.yilmaz"), identity=identity("s.yilmaz", eduPersonPrincipalName=[f"x@{EVIL}"])
    )

    assert response.status_code == 400
    assert "scope not declared" in response.content.decode()
    assert not SocialAccount.objects.exists()
    assert not User.objects.filter(is_superuser=False).exists()
    assert "_auth_user_id" not in sso.client.session


def test_a_look_alike_scope_is_refused_for_an_existing_person_too(sso, another_sso):
    sso.login(person("s.yilmaz"))
    assert SocialAccount.objects.get().uid == "s.yilmaz@uni.example"

    response = another_sso.login(
        person("s.yilmaz"),
        identity=identity("s.yilmaz", eduPersonPrincipalName=["s.yilmaz@evil.uni.example"]),
    )

    assert response.status_code == 400
    assert SocialAccount.objects.count() == 1


def test_a_scoped_affiliation_of_an_undeclared_scope_is_ignored(sso, caplog):
    response = sso.login(
        person("s.yilmaz"),
        identity=identity(
            "s.yilmaz",
            eduPersonAffiliation=[],
            eduPersonScopedAffiliation=[f"employee@{EVIL}", "student@uni.example"],
        ),
    )

    assert response.status_code == 200
    user = User.objects.get(username="s.yilmaz@uni.example")
    assert user.role.slug == "student"
    assert "scope is not declared" in caplog.text
    assert EVIL not in caplog.text
    assert not LicenceAssignment.objects.filter(licence_type__slug="business").exists()


def test_a_regular_expression_scope_must_match_the_whole_scope():
    scopes = AllowedScopes([], [r"^[a-z]+\.uni\.example$"])
    assert scopes.allows("med.uni.example")
    assert not scopes.allows("med.uni.example.evil.com")
    assert not scopes.allows("uni.example")


def test_an_aggregate_gives_each_idp_only_its_own_scopes():
    xml = """<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
      xmlns:shibmd="urn:mace:shibboleth:metadata:1.0">
     <md:EntityDescriptor entityID="https://evil.example/idp">
      <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
       <md:Extensions><shibmd:Scope regexp="false">uni.example</shibmd:Scope></md:Extensions>
      </md:IDPSSODescriptor></md:EntityDescriptor>
     <md:EntityDescriptor entityID="https://uni.example/idp">
      <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
       <md:Extensions><shibmd:Scope regexp="true">^.+\\.uni\\.example$</shibmd:Scope>
       <shibmd:Scope>UNI.example</shibmd:Scope></md:Extensions>
      </md:IDPSSODescriptor></md:EntityDescriptor>
    </md:EntitiesDescriptor>"""

    assert declared_scopes(xml, "https://uni.example/idp") == [
        {"scope": r"^.+\.uni\.example$", "regexp": True},
        {"scope": "uni.example", "regexp": False},
    ]


def test_a_configured_scope_list_replaces_the_metadatas(idp_app, sso):
    register_idp(
        slug=SLUG, name="Demo University", metadata=dev_idp.metadata_xml(), scopes=["uni.test"]
    )

    response = sso.login(person("s.yilmaz"))

    assert response.status_code == 400
    assert not SocialAccount.objects.exists()

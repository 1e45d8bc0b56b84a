"""A real pysaml2 IdP (the development IdP's code) and an SP client with a dotted host.

Responses are built and signed by pysaml2's ``Server`` (``xmlsec1``) and posted to allauth's
ACS; python3-saml validates them in strict mode, as in production.
"""

import base64
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from portal.identity import demo
from portal.identity.sso import dev_idp
from portal.identity.sso.idp import register_idp, sp_entity_id, sp_metadata_xml

SP_HOST = "sp.example.test"
SLUG = "uni"
ACS_URL = f"http://{SP_HOST}/accounts/saml/{SLUG}/acs/"


@pytest.fixture(scope="session")
def idp_key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dev-idp")


@pytest.fixture
def idp_app(demo_institution, settings, idp_key_dir):
    settings.DEV_IDP_KEY_DIR = str(idp_key_dir)
    app, _created = register_idp(slug=SLUG, name="Demo University", metadata=dev_idp.metadata_xml())
    return app


@dataclass
class SSOSession:
    client: Client

    def start_login(self) -> str:
        """Start an SP-initiated login; the AuthnRequest's ID (allauth stashes it as state)."""
        response = self.client.post(f"/accounts/saml/{SLUG}/login/")
        assert response.status_code == 302, response.content[:500]
        query = parse_qs(urlsplit(response["Location"]).query)
        xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
        return xml.split(' ID="', 1)[1].split('"', 1)[0]

    def response_for(self, person: demo.DemoPerson, request_id: str | None, **kwargs) -> str:
        kwargs.setdefault("destination", ACS_URL)
        kwargs.setdefault("sp_entity_id", sp_entity_id(SLUG))
        kwargs.setdefault("sp_metadata", (sp_metadata_xml(SLUG),))
        return dev_idp.build_response(person=person, in_response_to=request_id, **kwargs)

    def post_response(self, xml: str, follow: bool = True):
        encoded = base64.b64encode(xml.encode()).decode()
        response = self.client.post(f"/accounts/saml/{SLUG}/acs/", {"SAMLResponse": encoded})
        assert response.status_code == 302
        assert response["Location"].endswith("/acs/finish/")
        return self.client.get(response["Location"], follow=follow)

    def login(self, person: demo.DemoPerson, follow: bool = True, **kwargs):
        request_id = self.start_login()
        return self.post_response(self.response_for(person, request_id, **kwargs), follow=follow)


@pytest.fixture
def sso(idp_app) -> SSOSession:
    return SSOSession(Client(HTTP_HOST=SP_HOST, HTTP_ACCEPT_LANGUAGE="en"))


@pytest.fixture
def another_sso(idp_app) -> SSOSession:
    return SSOSession(Client(HTTP_HOST=SP_HOST, HTTP_ACCEPT_LANGUAGE="en"))


def person(username: str) -> demo.DemoPerson:
    found = dev_idp.person_named(username)
    assert found is not None
    return found

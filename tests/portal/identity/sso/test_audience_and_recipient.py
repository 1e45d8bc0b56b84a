"""An assertion must name this portal as its audience and its ACS as the recipient.

python3-saml checks the audience and the recipient only when they are present and not empty;
a validly signed assertion with an empty ``<Audience/>``, without ``AudienceRestriction`` or
with an empty ``Recipient`` would log the person in. These responses are signed by the
development IdP's key after the edit, so only the audience or recipient is wrong.
"""

import pytest
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from portal.identity.sso import dev_idp

from .conftest import SP_HOST, person

SAML = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def signed_after(xml: str, edit) -> str:  # noqa: ANN001
    """The response with its assertion edited by ``edit`` and then signed by the IdP's key."""
    root = etree.fromstring(xml.encode())
    assertion = root.find(".//saml:Assertion", SAML)
    for old in assertion.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        assertion.remove(old)
    edit(assertion)
    key_path, cert_path = dev_idp.ensure_key_pair()
    signed = OneLogin_Saml2_Utils.add_sign(
        etree.tostring(assertion),
        key_path.read_text(),
        cert_path.read_text(),
        sign_algorithm=Constants.RSA_SHA256,
        digest_algorithm=Constants.SHA256,
    )
    root.replace(assertion, etree.fromstring(signed))
    return etree.tostring(root).decode()


def login_with(sso, edit):  # noqa: ANN001, ANN201
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id)
    return sso.post_response(signed_after(xml, edit))


def unchanged(assertion) -> None:  # noqa: ANN001
    pass


def empty_audience(assertion) -> None:  # noqa: ANN001
    for audience in assertion.findall(".//saml:Audience", SAML):
        audience.text = ""


def no_audience_restriction(assertion) -> None:  # noqa: ANN001
    for restriction in assertion.findall(".//saml:AudienceRestriction", SAML):
        restriction.getparent().remove(restriction)


def empty_recipient(assertion) -> None:  # noqa: ANN001
    for data in assertion.findall(".//saml:SubjectConfirmationData", SAML):
        data.set("Recipient", "")


def test_a_response_signed_after_an_edit_that_changes_nothing_logs_in(sso):
    response = login_with(sso, unchanged)
    assert response.status_code == 200, response.content[:300]
    assert "_auth_user_id" in sso.client.session


def test_an_empty_audience_is_refused(sso):
    response = login_with(sso, empty_audience)
    assert response.status_code == 400
    assert "meant for another service" in response.content.decode()
    assert "_auth_user_id" not in sso.client.session


def test_an_assertion_without_audience_restriction_is_refused(sso):
    response = login_with(sso, no_audience_restriction)
    assert response.status_code == 400
    assert "meant for another service" in response.content.decode()
    assert "_auth_user_id" not in sso.client.session


def test_an_empty_recipient_is_refused(sso):
    response = login_with(sso, empty_recipient)
    assert response.status_code == 400
    assert "meant for another service" in response.content.decode()
    assert "_auth_user_id" not in sso.client.session

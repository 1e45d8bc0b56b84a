"""Assertion IDs: read from the response, remembered once, a second insert refused."""

import base64
import datetime

import pytest
from django.utils import timezone

from portal.identity.sso import replay

pytestmark = pytest.mark.django_db

RESPONSE = """<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" Version="2.0">
 <saml:Assertion ID="a-123" Version="2.0"><saml:Subject>
 <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">p1</saml:NameID>
 <saml:SubjectConfirmation><saml:SubjectConfirmationData NotOnOrAfter="2030-01-01T10:00:00Z"/>
 </saml:SubjectConfirmation></saml:Subject>
 <saml:Conditions NotOnOrAfter="2030-01-01T09:00:00Z"/>
 <saml:AuthnStatement SessionIndex="s-9"/></saml:Assertion></samlp:Response>"""


def test_it_reads_id_expiry_and_subject():
    facts = replay.assertion_facts(base64.b64encode(RESPONSE.encode()).decode())
    assert facts.assertion_id == "a-123"
    assert facts.expires_at == datetime.datetime(2030, 1, 1, 10, tzinfo=datetime.UTC)
    assert (facts.name_id, facts.session_index) == ("p1", "s-9")


def test_it_answers_none_for_garbage():
    assert replay.assertion_facts("%%%not base64") is None
    assert replay.assertion_facts(base64.b64encode(b"<a/>").decode()) is None


def test_an_assertion_is_remembered_once():
    facts = replay.AssertionFacts("a-1", timezone.now() + datetime.timedelta(minutes=5))
    assert replay.remember(facts, idp="uni") is True
    assert replay.remember(facts, idp="uni") is False
    assert replay.was_seen(facts)

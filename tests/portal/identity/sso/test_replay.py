"""Assertion IDs: read from the validated response, remembered once, a second insert refused."""

import datetime

import pytest
from django.utils import timezone

from portal.identity.sso import replay

pytestmark = pytest.mark.django_db


class ValidatedAuth:
    """What python3-saml's ``Auth`` answers after validating (and decrypting) a response."""

    def __init__(self, **answers):
        self.answers = answers

    def __getattr__(self, name):
        return lambda: self.answers.get(name.removeprefix("get_"))


def test_it_reads_id_expiry_and_subject_of_the_validated_assertion():
    expiry = datetime.datetime(2030, 1, 1, 10, tzinfo=datetime.UTC)
    auth = ValidatedAuth(
        last_assertion_id="a-123",
        last_assertion_not_on_or_after=int(expiry.timestamp()),
        nameid="p1",
        nameid_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        session_index="s-9",
    )

    facts = replay.facts_from(auth)

    assert facts.assertion_id == "a-123"
    assert facts.expires_at == expiry + replay.CLOCK_DRIFT
    assert (facts.name_id, facts.session_index) == ("p1", "s-9")


def test_it_answers_none_without_an_assertion_id():
    assert replay.facts_from(ValidatedAuth()) is None


def test_an_assertion_is_remembered_once():
    facts = replay.AssertionFacts("a-1", timezone.now() + datetime.timedelta(minutes=5))
    assert replay.remember(facts, idp="uni") is True
    assert replay.remember(facts, idp="uni") is False
    assert replay.was_seen(facts)

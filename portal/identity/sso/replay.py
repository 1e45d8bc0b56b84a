"""Refuse replayed SAML responses: every accepted assertion ID is kept until it expires.

Neither python3-saml nor allauth does this (docs/POLICY.md, security baseline). The ID is read
from the response allauth is about to validate; it is recorded only after python3-saml has
accepted the signature (in ``pre_social_login``), and the unique constraint makes two
simultaneous replays of one response fail on the second insert.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from onelogin.saml2.utils import OneLogin_Saml2_XML

from portal.identity.models import SeenAssertion

NAMESPACES = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
# An assertion without any expiry is remembered this long (longer than any sane lifetime).
FALLBACK_LIFETIME = datetime.timedelta(days=1)


@dataclass(frozen=True)
class AssertionFacts:
    assertion_id: str
    expires_at: datetime.datetime
    name_id: str = ""
    name_id_format: str = ""
    session_index: str = ""


def assertion_facts(saml_response: str) -> AssertionFacts | None:
    """The assertion ID and its latest expiry, read from a base64 ``SAMLResponse``.

    Read without validation: the caller only uses them once python3-saml has validated the
    same response. An encrypted assertion is identified by the response's ID instead.
    """
    try:
        document = OneLogin_Saml2_XML.to_etree(base64.b64decode(saml_response, validate=False))
    except (binascii.Error, ValueError, TypeError, Exception):  # noqa: B014 (lxml's errors vary)
        return None
    assertions = OneLogin_Saml2_XML.query(document, "//saml:Assertion")
    element = assertions[0] if assertions else document
    identifier = element.get("ID")
    if not identifier:
        return None
    times = []
    for path in ("//saml:SubjectConfirmationData", "//saml:Conditions"):
        for node in OneLogin_Saml2_XML.query(document, path):
            value = parse_datetime(node.get("NotOnOrAfter") or "")
            if value is not None:
                times.append(value)
    expires = max(times) if times else timezone.now() + FALLBACK_LIFETIME
    name_ids = OneLogin_Saml2_XML.query(document, "//saml:Subject/saml:NameID")
    statements = OneLogin_Saml2_XML.query(document, "//saml:AuthnStatement")
    return AssertionFacts(
        identifier[:255],
        expires,
        name_id=(name_ids[0].text or "") if name_ids else "",
        name_id_format=(name_ids[0].get("Format") or "") if name_ids else "",
        session_index=(statements[0].get("SessionIndex") or "") if statements else "",
    )


def was_seen(facts: AssertionFacts) -> bool:
    return SeenAssertion.objects.filter(assertion_id=facts.assertion_id).exists()


def remember(facts: AssertionFacts, *, idp: str) -> bool:
    """Record an accepted assertion; False when it was accepted before (a replay)."""
    try:
        with transaction.atomic():
            SeenAssertion.objects.create(
                assertion_id=facts.assertion_id, idp=idp[:100], expires_at=facts.expires_at
            )
    except IntegrityError:
        return False
    return True


def forget_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete assertion IDs whose assertions have expired (they cannot be replayed anyway)."""
    deleted, _ = SeenAssertion.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted

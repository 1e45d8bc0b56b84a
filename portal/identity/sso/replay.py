"""Refuse replayed SAML responses: every accepted assertion ID is kept until it expires.

Neither python3-saml nor allauth does this (docs/POLICY.md, security baseline). The facts are
read from python3-saml once it has validated (and, for an encrypted assertion, decrypted) the
response, so an encrypted assertion is known by its own ID and subject too. The ID is recorded
in ``pre_social_login``; the unique constraint makes two simultaneous replays of one response
fail on the second insert.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants

from portal.identity.models import SeenAssertion

# An assertion without any expiry is remembered this long (longer than any sane lifetime).
FALLBACK_LIFETIME = datetime.timedelta(days=1)
CLOCK_DRIFT = datetime.timedelta(seconds=OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT)


@dataclass(frozen=True)
class AssertionFacts:
    assertion_id: str
    expires_at: datetime.datetime
    name_id: str = ""
    name_id_format: str = ""
    name_id_nq: str = ""
    name_id_spnq: str = ""
    session_index: str = ""


def facts_from(auth: OneLogin_Saml2_Auth) -> AssertionFacts | None:
    """The assertion's ID, expiry and subject from a validated (decrypted) response."""
    identifier = auth.get_last_assertion_id()
    if not identifier:
        return None
    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    expires = (
        # python3-saml accepts it until then plus its allowed clock drift
        datetime.datetime.fromtimestamp(not_on_or_after, tz=datetime.UTC) + CLOCK_DRIFT
        if not_on_or_after
        else timezone.now() + FALLBACK_LIFETIME
    )
    return AssertionFacts(
        str(identifier)[:255],
        expires,
        name_id=auth.get_nameid() or "",
        name_id_format=auth.get_nameid_format() or "",
        name_id_nq=auth.get_nameid_nq() or "",
        name_id_spnq=auth.get_nameid_spnq() or "",
        session_index=auth.get_session_index() or "",
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

"""Validating the IdP's response at the ACS, with one refusal reason per cause.

python3-saml's ``process_response`` reduces every failure to ``invalid_response`` and a
sentence; the person and the helpdesk need to know which of a handful of causes it was
(docs/POLICY.md, SSO refusals). So the response is validated here with python3-saml's own
``Response`` and ``is_valid(raise_exceptions=True)``, whose error codes map to the reasons of
``REASONS``. A response encrypted for another of the SP's keys (during a key rotation) is
tried with each key in turn.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass

from allauth.socialaccount.providers.saml.utils import build_saml_config, prepare_django_request
from django.http import HttpRequest
from django.utils import timezone
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError as VE
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from portal.identity.sso import idp as idp_settings
from portal.identity.sso import keys

# Refusal reasons (their texts: ``adapters.render_sso_error``).
UNSIGNED = "unsigned"
EXPIRED = "expired"
AUDIENCE = "audience"
IDP_INITIATED = "idp_initiated"
UNDECRYPTABLE = "undecryptable"
NO_STABLE_ID = "no_stable_id"
SCOPE_NOT_DECLARED = "scope"
IDP_STATUS = "idp_status"
INVALID = "invalid"

_BY_CODE = {
    VE.NO_SIGNED_ASSERTION: UNSIGNED,
    VE.NO_SIGNED_MESSAGE: UNSIGNED,
    VE.NO_SIGNATURE_FOUND: UNSIGNED,
    VE.INVALID_SIGNATURE: UNSIGNED,
    VE.WRONG_NUMBER_OF_SIGNATURES: UNSIGNED,
    VE.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: UNSIGNED,
    VE.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: UNSIGNED,
    VE.DEPRECATED_SIGNATURE_METHOD: UNSIGNED,
    VE.DEPRECATED_DIGEST_METHOD: UNSIGNED,
    VE.ASSERTION_EXPIRED: EXPIRED,
    VE.ASSERTION_TOO_EARLY: EXPIRED,
    VE.RESPONSE_EXPIRED: EXPIRED,
    VE.SESSION_EXPIRED: EXPIRED,
    VE.WRONG_AUDIENCE: AUDIENCE,
    VE.WRONG_DESTINATION: AUDIENCE,
    VE.EMPTY_DESTINATION: AUDIENCE,
    VE.WRONG_SUBJECTCONFIRMATION: AUDIENCE,
    VE.KEYINFO_NOT_FOUND_IN_ENCRYPTED_DATA: UNDECRYPTABLE,
    VE.CHILDREN_NODE_NOT_FOUND_IN_KEYINFO: UNDECRYPTABLE,
    VE.UNSUPPORTED_RETRIEVAL_METHOD: UNDECRYPTABLE,
    VE.STATUS_CODE_IS_NOT_SUCCESS: IDP_STATUS,
}


@dataclass(frozen=True)
class Outcome:
    """A validated response (``auth``), or the refusal ``reason`` and its technical detail."""

    auth: OneLogin_Saml2_Auth | None
    reason: str = ""
    detail: str = ""


def _is_encrypted(saml_response: str) -> bool:
    try:
        return b"EncryptedAssertion" in base64.b64decode(saml_response, validate=False)
    except (binascii.Error, ValueError):
        return False


def validate_response(*, acs_request: HttpRequest, app_settings: dict, slug: str) -> Outcome:
    """Validate (strict, python3-saml) and decrypt the ``SAMLResponse`` the ACS received.

    Never raises on bad input: whatever the browser posted ends in an ``Outcome``.
    """
    saml_response = acs_request.POST.get("SAMLResponse", "")
    if not saml_response:
        return Outcome(None, INVALID, "no SAMLResponse in the request")
    if idp_settings.metadata_expired(app_settings, now=timezone.now()):
        return Outcome(None, INVALID, "the IdP's metadata is past its validUntil: refresh it")
    request_data = prepare_django_request(acs_request)
    config = build_saml_config(acs_request, app_settings, slug)
    # allauth passes one IdP certificate; during the IdP's key rollover accept every signing
    # certificate its (verified) metadata lists
    signing = (app_settings.get("idp") or {}).get("x509cert_multi")
    if signing:
        config["idp"]["x509certMulti"] = {"signing": list(signing)}
    encrypted = _is_encrypted(saml_response)
    private_keys = [config["sp"].get("privateKey")]
    if encrypted:
        private_keys += [pair.private_key for pair in keys.decryption_keys()]
    tried: set[str] = set()
    outcome = Outcome(None, UNDECRYPTABLE, "no private key for the encrypted assertion")
    for private_key in private_keys:
        if not private_key or private_key in tried:
            continue
        tried.add(private_key)
        attempt = copy.deepcopy(config)
        attempt["sp"]["privateKey"] = private_key
        outcome = _validate_with(request_data, attempt, saml_response, encrypted)
        if outcome.reason != UNDECRYPTABLE:
            return outcome
    return outcome


def _validate_with(
    request_data: dict, config: dict, saml_response: str, encrypted: bool
) -> Outcome:
    auth = OneLogin_Saml2_Auth(request_data, config)
    try:
        response = OneLogin_Saml2_Response(auth.get_settings(), saml_response)
    except Exception as error:  # broken base64/XML, or a failed decryption (xmlsec's errors)
        return Outcome(None, UNDECRYPTABLE if encrypted else INVALID, f"unreadable: {error}")
    try:
        response.is_valid(request_data, request_id=None, raise_exceptions=True)
    except VE as error:
        return Outcome(None, _BY_CODE.get(error.code, INVALID), f"{error.code}: {error}")
    except Exception as error:  # python3-saml raises plain errors on some malformed input
        return Outcome(None, INVALID, f"invalid: {error}")
    problem = _audience_or_recipient_problem(response, config)
    if problem:
        return Outcome(None, AUDIENCE, problem)
    auth.store_valid_response(response)
    return Outcome(auth)


def _audience_or_recipient_problem(response: OneLogin_Saml2_Response, config: dict) -> str:
    """Why the assertion is not addressed to this portal, or "".

    python3-saml checks the audience and the recipient only when they are present and not
    empty, so a validly signed assertion without them would be accepted: the portal requires
    an ``AudienceRestriction`` whose every audience is its own entity ID and a ``Recipient``
    equal to its ACS URL on every ``SubjectConfirmationData`` (docs/POLICY.md, security
    baseline).
    """
    entity_id = config["sp"]["entityId"]
    acs_url = config["sp"]["assertionConsumerService"]["url"]
    audiences = [(audience or "").strip() for audience in response.get_audiences()]
    if not audiences or any(audience != entity_id for audience in audiences):
        return f"audience {audiences!r} is not this service provider"
    document = response.get_xml_document()
    confirmations = OneLogin_Saml2_XML.query(
        document,
        "//saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData",
    )
    if not confirmations or any(
        (element.get("Recipient") or "").strip() != acs_url for element in confirmations
    ):
        return "the assertion's Recipient is missing or not this service provider's ACS"
    return ""

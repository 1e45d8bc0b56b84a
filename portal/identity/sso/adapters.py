"""allauth adapters: the portal's rules plugged into allauth's login flows.

- SSO: the IdP's users may always sign up (members never sign up locally); a replayed
  assertion and a person under 16 are refused in ``pre_social_login``, before any row exists;
  SAML errors get the portal's clear error page.
- Local login: only break-glass admins and, when enabled, external guests; an address of
  the institution's domains can neither sign up nor log in locally.
"""

from __future__ import annotations

import copy
import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.identity.models import Institution, User
from portal.identity.sso import idp as idp_settings
from portal.identity.sso import replay
from portal.identity.sso.failures import count_sso_failure
from portal.identity.sso.receivers import released_attributes

logger = logging.getLogger(__name__)


def _refuse_save(*args: object, **kwargs: object) -> None:
    raise RuntimeError("an app loaded with the SP key is never saved (docs/POLICY.md)")


def minimum_age() -> int:
    """The institution's minimum age (policy: "minimum age 16"), edited in the admin."""
    from portal.identity.models import Institution

    return Institution.current().minimum_age


def refusal_messages() -> dict[str, str]:
    """One text per refusal reason, for the person and the helpdesk (docs/POLICY.md)."""
    return {
        "replay": _("This login response has already been used. Please log in again."),
        "state": _(
            "This login response does not belong to a login started here, or it has "
            "already been used. Please log in again."
        ),
        "unsigned": _(
            "The identity provider's answer is not signed as the portal requires (the "
            "assertion itself must carry a valid signature). Nothing was changed. Please tell "
            'your helpdesk: reason "not signed".'
        ),
        "expired": _(
            "The identity provider's answer has expired or is not valid yet (it took too long, "
            "or a clock is wrong). Nothing was changed. Please log in again."
        ),
        "audience": _(
            "The identity provider's answer was meant for another service, not for this "
            'portal. Nothing was changed. Please tell your helpdesk: reason "wrong audience".'
        ),
        "idp_initiated": _(
            "Logins started at the identity provider are not accepted. Please start the "
            "login here, with the button of your institution."
        ),
        "undecryptable": _(
            "The identity provider's answer is encrypted for a key the portal does not have. "
            'Nothing was changed. Please tell your helpdesk: reason "cannot decrypt".'
        ),
        "no_stable_id": _(
            "Your identity provider did not release a lasting identifier for you (such as "
            "eduPersonPrincipalName or a persistent NameID), so the portal cannot recognise "
            "you at your next login and no account was created. Please tell your helpdesk: "
            'reason "no stable identifier".'
        ),
        "scope": _(
            "Your identity provider named you with a domain (scope) it is not registered "
            "for, so the portal cannot accept it and no account was created or changed. "
            'Please tell your helpdesk: reason "scope not declared".'
        ),
        "idp_status": _(
            "Your identity provider did not log you in. Please try again, or contact your "
            "helpdesk if this keeps happening."
        ),
        "invalid": _(
            "The identity provider's answer could not be verified. Nothing was changed. "
            "Please log in again."
        ),
    }


def render_sso_error(
    request: HttpRequest, reason: str, status: int = 400, *, detail: str = ""
) -> HttpResponse:
    """The clear error page of a refused SSO login (nothing was created).

    The person sees a text for the reason; the log gets the reason and the technical detail
    (python3-saml's error: codes and element names, never attribute values or keys).
    """
    messages = refusal_messages()
    if reason not in messages:
        reason = "invalid"
    logger.warning("SSO login refused: %s%s", reason, f" ({detail})" if detail else "")
    count_sso_failure(reason)
    return render(
        request,
        "portal/sso/error.html",
        {"message": messages[reason], "reason": reason},
        status=status,
    )


def is_institution_address(value: str) -> bool:
    domain = value.rpartition("@")[2].strip().lower() if "@" in value else ""
    return bool(domain) and domain in {d.lower() for d in Institution.current().mail_domains}


def may_log_in_locally(user: User) -> bool:
    """Break-glass admins always; external guests when enabled; never institution members."""
    if user.is_superuser:
        return True
    if not settings.LOCAL_GUEST_ACCOUNTS:
        return False
    if user.is_institution_member or user.socialaccount_set.exists():
        return False
    return not (is_institution_address(user.email) or is_institution_address(user.username))


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider, client_id=None):  # noqa: ANN001, ANN201
        """The app with the SP key pair and metadata validity added (never stored).

        Every SAML view of allauth's (login, SLS) and the portal's (ACS finish, metadata,
        logout) gets its app here. The copy keeps the key out of the row: saving it is refused.
        """
        app = super().get_app(request, provider, client_id=client_id)
        if getattr(app, "provider", "") != "saml":
            return app
        loaded = copy.copy(app)
        loaded.settings = idp_settings.runtime_settings(app.settings or {})
        loaded.save = _refuse_save  # type: ignore[method-assign]
        return loaded

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:  # noqa: ANN001
        # Accounts of the IdP's users are created at their first SSO login; local sign-up
        # is governed by the account adapter.
        return True

    def populate_user(self, request: HttpRequest, sociallogin, data: dict) -> User:  # noqa: ANN001
        # The stable identifier (eduPersonPrincipalName or a persistent NameID) is the
        # username: unique, so simultaneous first logins never race for a generated name.
        user = super().populate_user(request, sociallogin, data)
        user.username = sociallogin.account.uid[: User._meta.get_field("username").max_length]
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:  # noqa: ANN001
        provider = sociallogin.provider
        if provider.id != "saml":
            return
        facts = getattr(request, "portal_saml_assertion", None)
        if facts is None or not replay.remember(facts, idp=provider.app.client_id):
            raise ImmediateHttpResponse(render_sso_error(request, "replay"))
        attributes = released_attributes(sociallogin.account)
        birth = idp_settings.date_of_birth_from(attributes, idp_settings.mapping_for(provider.app))
        # without a birth date the person confirms the minimum age once (receivers)
        request.portal_birth_date_released = birth is not None
        required = minimum_age()
        if birth is not None and idp_settings.age_on(birth, timezone.localdate()) < required:
            logger.info("SSO login refused: below the minimum age")
            count_sso_failure("too_young")
            raise ImmediateHttpResponse(
                render(
                    request,
                    "portal/sso/too_young.html",
                    {"minimum_age": required},
                    status=403,
                )
            )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider,  # noqa: ANN001
        error=None,  # noqa: ANN001
        exception=None,  # noqa: ANN001
        extra_context=None,  # noqa: ANN001
    ) -> None:
        errors = (extra_context or {}).get("saml_errors") or [str(error)]
        logger.warning("SSO authentication error: %s", ", ".join(map(str, errors)))
        raise ImmediateHttpResponse(render_sso_error(request, "invalid"))


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.LOCAL_GUEST_ACCOUNTS and settings.ACCOUNT_ALLOW_SIGNUPS

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        if is_institution_address(email):
            raise forms.ValidationError(
                _("Members of the institution log in with single sign-on, not with a password.")
            )
        return email

    def pre_login(self, request: HttpRequest, user: User, **kwargs) -> HttpResponse | None:  # noqa: ANN003
        signal_kwargs = kwargs.get("signal_kwargs") or {}
        if "sociallogin" not in signal_kwargs and not may_log_in_locally(user):
            # The login form refuses these already; this guards every other local path.
            return render(request, "portal/sso/local_refused.html", status=403)
        return super().pre_login(request, user, **kwargs)

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        """No "Successfully signed in" while the terms of use wait to be accepted: the terms
        page says so once they are (``sso.views.terms``)."""
        from portal.identity.sso.receivers import TERMS_PENDING_SESSION_KEY

        pending = hasattr(request, "session") and request.session.get(TERMS_PENDING_SESSION_KEY)
        if pending and message_template == "account/messages/logged_in.txt":
            return
        super().add_message(
            request,
            level,
            message_template=message_template,
            message_context=message_context,
            extra_tags=extra_tags,
            message=message,
        )

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """After an SSO login, end the IdP's session too (SAML single logout) if it can."""
        from allauth.socialaccount.adapter import get_adapter as get_social_adapter
        from allauth.socialaccount.models import SocialApp
        from allauth.socialaccount.providers.saml.utils import build_auth

        from portal.identity.sso.receivers import SAML_SESSION_KEY

        default = super().get_logout_redirect_url(request)
        saml = request.session.get(SAML_SESSION_KEY) if hasattr(request, "session") else None
        if not saml:
            return default
        try:
            app = get_social_adapter(request).get_app(
                request, provider="saml", client_id=saml.get("slug")
            )
        except SocialApp.DoesNotExist:
            return default
        if not (app.settings or {}).get("idp", {}).get("slo_url"):
            return default
        auth = build_auth(request, app.get_provider(request))
        # the subject as the IdP named it (decrypted), so the IdP finds the session to end
        return auth.logout(
            return_to=request.build_absolute_uri(default),
            name_id=saml.get("name_id") or None,
            session_index=saml.get("session_index") or None,
            nq=saml.get("name_id_nq") or None,
            name_id_format=saml.get("name_id_format") or None,
            spnq=saml.get("name_id_spnq") or None,
        )

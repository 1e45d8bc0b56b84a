"""A second factor for local accounts, required for everyone who reaches the admin with one.

Local (non-SSO) accounts, break-glass superusers above all, log in with a password through
allauth; allauth's MFA (TOTP, WebAuthn security keys, recovery codes) then asks for the second
factor of every account that has one. For the admin that is not left to the account holder
(docs/POLICY.md, admin): a superuser, or a staff account with a local password, who has no
second factor is sent to set one up before the admin opens; a session that did not pass the
second factor (a password alone, or Django's own admin login) is logged out and sent to log
in again. Members who log in by SSO and administer by an IdP group (``AdminGroupRule``) need the
portal's second factor in the same way; allauth asks for it after the SSO login.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portal.identity.models import User

# The kinds that prove possession when they are added (a code or a signed challenge);
# recovery codes are generated, not proven, so adding them passes nothing.
PROVEN_WHEN_ADDED = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def needs_second_factor_for_admin(user: User) -> bool:
    """Superusers always; staff with a local password; and SSO members made staff by an IdP
    group (``AdminGroupRule``): their administration needs the portal's second factor too,
    whatever the IdP asked at login."""
    if user.is_superuser or (user.is_staff and user.has_usable_password()):
        return True
    return bool(user.is_staff and user.groups.filter(idp_admin_rules__isnull=False).exists())


def passed_second_factor(request: HttpRequest, user: User) -> bool:
    """True when this session's login went through a second factor of this user.

    Also true in the session that enrolled the user's first authenticator app or security
    key: adding it needed the password again and a valid code or signature, so it proves
    possession as a login with it would. A later one added in a password-only session does
    not count (that session could not exist through the login once a factor was enrolled).
    """
    records = get_authentication_records(request, user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    logged_in_at = min((record.get("at", 0.0) for record in records), default=None)
    if logged_in_at is None:
        return False
    first = (
        Authenticator.objects.filter(user=user, type__in=PROVEN_WHEN_ADDED)
        .order_by("created_at", "pk")
        .first()
    )
    return first is not None and first.created_at.timestamp() >= logged_in_at


class AdminSecondFactorMiddleware:
    """Guard every URL under the admin (after authentication, before the admin's views)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._admin_prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(self._admin_prefix)
            and needs_second_factor_for_admin(user)
        ):
            refusal = self._refusal(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest, user: User) -> HttpResponse | None:
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _(
                    "The administration needs a second factor. Please set up an "
                    "authenticator app or a security key first."
                ),
            )
            return redirect(reverse("mfa_index"))
        if passed_second_factor(request, user):
            return None
        logout(request)
        messages.warning(
            request,
            _(
                "The administration needs a login with your second factor. Please log in "
                "again with your password and your authenticator app or security key."
            ),
        )
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")

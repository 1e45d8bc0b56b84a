"""Send a user who logged in by SSO to the terms page until the current version is accepted.

Only sessions started by an SSO login carry the flag (set by the login receiver), so the
middleware costs no query and leaves other sessions alone.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from portal.identity.sso.receivers import TERMS_PENDING_SESSION_KEY

ALLOWED_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/healthz", "/accounts/", "/dev-idp/")


class TermsAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(TERMS_PENDING_SESSION_KEY)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            terms_url = reverse("portal_terms")
            if request.path != terms_url:
                return redirect(f"{terms_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

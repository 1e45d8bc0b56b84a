"""Send a person whose identity provider released no birth date to the minimum-age
confirmation, once (docs/POLICY.md, licences: "minimum age").

Only sessions whose SSO login found no birth date and no earlier confirmation carry the flag
(set by ``portal.identity.sso.receivers.assign_on_login``), so other sessions cost no query.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from portal.identity.sso.middleware import ALLOWED_PREFIXES
from portal.identity.sso.receivers import AGE_PENDING_SESSION_KEY


class AgeConfirmationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(AGE_PENDING_SESSION_KEY)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            age_url = reverse("portal_confirm_age")
            if request.path not in (age_url, reverse("portal_terms")):
                return redirect(f"{age_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

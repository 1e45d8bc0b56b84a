"""The IdPs' SSO and logout endpoints in the content security policy's ``form-action``.

The "Log in with …" and "Log out" buttons POST to the portal, which answers with a redirect to
the IdP. Browsers apply ``form-action`` to that redirect as well, so with ``form-action 'self'``
alone nobody can log in through an IdP on another origin. The policy stays strict: it names
exactly the endpoints that the registered IdPs' metadata declares (no wildcard, no scheme-only
source), taken from the ``SocialApp`` settings that ``register_idp`` writes and recomputed
whenever an IdP is added, refreshed or removed. See docs/ARCHITECTURE.md (SSO).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from allauth.socialaccount.models import SocialApp
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

CACHE_KEY = "sso:idp-form-action-sources"
ENDPOINT_KEYS = ("sso_url", "slo_url")
# a host with an optional port: letters, digits, dots, hyphens, IPv6 in brackets
_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
# CSP path characters (RFC 3986 pchar without ';' and ',', which end a directive or a policy)
_PATH = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+=:@/%]*$")


def csp_source_for(url: str) -> str | None:
    """The CSP source expression that allows exactly this endpoint, or None if unusable.

    Query and fragment are dropped (a source expression cannot hold them, and browsers match
    the path only); anything that could break out of the header is refused.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"https", "http"} or not _HOST.match(parts.netloc or ""):
        return None
    path = parts.path or "/"
    if not _PATH.match(path):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def idp_form_action_sources() -> list[str]:
    """Every registered IdP's SSO and logout endpoint as a CSP source, sorted (cached)."""
    sources = cache.get(CACHE_KEY)
    if sources is None:
        found: set[str] = set()
        for settings_json in SocialApp.objects.filter(provider="saml").values_list(
            "settings", flat=True
        ):
            idp = (settings_json or {}).get("idp") or {}
            for key in ENDPOINT_KEYS:
                source = csp_source_for(str(idp.get(key) or ""))
                if source:
                    found.add(source)
        sources = sorted(found)
        # kept until an IdP changes (the receivers below), so pages cost no query
        cache.set(CACHE_KEY, sources, None)
    return sources


@receiver(post_save, sender=SocialApp, dispatch_uid="sso-csp-saved")
@receiver(post_delete, sender=SocialApp, dispatch_uid="sso-csp-deleted")
def forget_idp_form_action_sources(**kwargs: object) -> None:
    """An IdP was registered, refreshed, edited or removed: derive the sources anew."""
    cache.delete(CACHE_KEY)


class IdPFormActionMiddleware:
    """Add the IdPs' endpoints to ``form-action`` of every response's policy.

    Listed after ``csp.middleware.CSPMiddleware`` so that it sees the response first; it
    extends (never replaces) what a view asked for through django-csp's ``_csp_update``. Only
    whole HTML pages carry the buttons; htmx fragments, redirects (a browser shows no page of
    theirs, so their policy governs no form) and other responses are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            or 300 <= response.status_code < 400
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        sources = idp_form_action_sources()
        if sources:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *sources]
            response._csp_update = update
        return response

"""Views of SSO login: the ACS finish step (replay check around allauth's), terms acceptance."""

from __future__ import annotations

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.internal import httpkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.sessions import LoginSession
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from portal.identity import selectors, services
from portal.identity.models import TermsVersion
from portal.identity.reports import licence_report_sections
from portal.identity.sso import replay
from portal.identity.sso.adapters import render_sso_error
from portal.identity.sso.receivers import TERMS_PENDING_SESSION_KEY


def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's ACS finish step, with replayed assertions refused and a clear error page.

    The response stored by allauth's first ACS step is read to learn the assertion's ID; a
    known ID is refused before anything else happens. allauth then validates the response
    (python3-saml, strict) and our ``pre_social_login`` records the ID.
    """
    acs_session = LoginSession(request, "saml_acs_session", "saml-acs-session")
    stored = acs_session.store.get("request")
    if stored:
        acs_request = httpkit.deserialize_request(stored, HttpRequest())
        facts = replay.assertion_facts(acs_request.POST.get("SAMLResponse", ""))
        if facts is not None and replay.was_seen(facts):
            acs_session.delete()
            return render_sso_error(request, "replay")
        request.portal_saml_assertion = facts
    try:
        return saml_views.finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        # allauth's one-time state: the response answers no login started in this session
        return render_sso_error(request, "state")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest) -> HttpResponse:
    """Show the current terms of use and privacy notice; accepting activates the account."""
    current = TermsVersion.current()
    if current is None:
        request.session.pop(TERMS_PENDING_SESSION_KEY, None)
        return redirect(_safe_next(request))
    error = ""
    if request.method == "POST":
        if request.POST.get("decision") == "decline":
            get_account_adapter(request).logout(request)
            return render(request, "portal/sso/terms_declined.html")
        if request.POST.get("accept") == "yes" and request.POST.get("version") == current.version:
            services.accept_terms(user=request.user, terms_version=current)
            request.session.pop(TERMS_PENDING_SESSION_KEY, None)
            return redirect(_safe_next(request))
        error = "missing"
    accepted = not request.session.get(TERMS_PENDING_SESSION_KEY) and (
        services.has_accepted_current_terms(user=request.user)
    )
    return render(
        request,
        "portal/sso/terms.html",
        {
            "terms": current,
            "accepted": accepted,
            "next": _safe_next(request),
            "error": error,
        },
        status=400 if error else 200,
    )


@staff_member_required
@require_GET
def licence_report(request: HttpRequest) -> HttpResponse:
    """Utilisation per licence pool, as aggregates only (no per-person usage statistics)."""
    return render(
        request,
        "portal/sso/licence_report.html",
        {
            "pools": selectors.pool_utilisation(),
            "outside_quota": selectors.outside_quota_count(),
            "extra_sections": licence_report_sections(),
        },
    )


class LoginView(allauth_views.LoginView):
    """allauth's login view in the portal's page: SSO buttons first, the local form below."""

    template_name = "portal/sso/login.html"

    def get_context_data(self, **kwargs: object) -> dict:
        context = super().get_context_data(**kwargs)
        context["identity_providers"] = SocialApp.objects.filter(provider="saml").order_by("name")
        return context


login = LoginView.as_view()

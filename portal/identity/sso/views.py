"""Views of SSO login: the ACS finish step (validation, refusals, replay check, stable
identifier), the SP metadata, terms acceptance."""

from __future__ import annotations

import logging

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.internal import httpkit
from allauth.socialaccount import app_settings as allauth_app_settings
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.saml.utils import decode_relay_state
from allauth.socialaccount.sessions import LoginSession
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.identity import selectors, services
from portal.identity.models import TermsVersion
from portal.identity.reports import licence_report_sections
from portal.identity.sso import acs, replay
from portal.identity.sso import idp as idp_settings
from portal.identity.sso.adapters import render_sso_error
from portal.identity.sso.receivers import TERMS_PENDING_SESSION_KEY

logger = logging.getLogger(__name__)


def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's ACS finish step, with a clear refusal per cause (docs/POLICY.md, SSO refusals).

    The response stored by allauth's first ACS step is validated and decrypted
    (``acs.validate_response``); only then are the assertion's facts read, so the replay check
    and single logout see the decrypted ID, NameID and SessionIndex. A response to no request
    of ours (IdP-initiated), a replayed one and one without a stable identifier are refused
    before allauth looks the person up; ``pre_social_login`` records the ID and checks the age.
    """
    adapter = get_social_adapter(request)
    try:
        app = adapter.get_app(request, provider="saml", client_id=organization_slug)
    except SocialApp.DoesNotExist as error:
        raise Http404("unknown identity provider") from error
    provider = app.get_provider(request)
    acs_session = LoginSession(request, "saml_acs_session", "saml-acs-session")
    stored = acs_session.store.get("request")
    acs_session.delete()
    if not stored:
        return render_sso_error(request, "state", detail="no stored ACS request")
    acs_request = httpkit.deserialize_request(stored, HttpRequest())
    outcome = acs.validate_response(
        acs_request=acs_request, app_settings=app.settings, slug=organization_slug
    )
    auth = outcome.auth
    if auth is None:
        return render_sso_error(request, outcome.reason, detail=outcome.detail)
    state_id = auth.get_last_response_in_response_to()
    advanced = app.settings.get("advanced", {})
    if not state_id and advanced.get("reject_idp_initiated_sso", True):
        return render_sso_error(request, acs.IDP_INITIATED, detail="no InResponseTo")
    facts = replay.facts_from(auth)
    if facts is None or replay.was_seen(facts):
        return render_sso_error(request, "replay", detail="assertion ID seen before")
    attributes = auth.get_attributes()
    try:
        found = idp_settings.stable_identifier(
            attributes=attributes,
            mapping=idp_settings.mapping_for(app),
            scopes=idp_settings.scopes_for(app),
            name_id=auth.get_nameid(),
            name_id_format=auth.get_nameid_format(),
        )
    except idp_settings.ScopeNotDeclared as error:
        return render_sso_error(
            request,
            acs.SCOPE_NOT_DECLARED,
            detail=f"{error.attribute} has a scope the IdP has not declared",
        )
    if found is None:
        return render_sso_error(
            request,
            acs.NO_STABLE_ID,
            detail=f"no eduPersonPrincipalName, subject-id, pairwise-id or persistent NameID "
            f"(NameID format {auth.get_nameid_format() or 'none'})",
        )
    uid, source = found
    logger.info("SSO identifier from %s (IdP %s)", source, organization_slug)
    request.portal_saml_assertion = facts
    try:
        login = provider.sociallogin_from_response(request, auth)
    except (ValueError, ImproperlyConfigured) as error:
        return render_sso_error(request, acs.INVALID, detail=f"unusable response: {error}")
    login.account.uid = uid[: allauth_app_settings.UID_MAX_LENGTH]
    if state_id:
        try:
            login.state = provider.unstash_redirect_state(request, state_id)
        except PermissionDenied:
            # allauth's one-time state: the response answers no login started in this session
            return render_sso_error(request, "state", detail="no matching login state")
    else:
        next_url = decode_relay_state(acs_request.POST.get("RelayState"))
        login.state["process"] = AuthProcess.LOGIN
        if next_url:
            login.state["next"] = next_url
    return complete_social_login(request, login)


@login_not_required
@require_GET
def sp_metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The SP metadata for one IdP, at its stable URL (also the SP's entity ID).

    Unlike allauth's, it always publishes the SP certificate for encryption as well as for
    signing (python3-saml adds the encryption key only when every assertion must be
    encrypted), and carries the validity and cache duration the operator set.
    """
    try:
        app = get_social_adapter(request).get_app(
            request, provider="saml", client_id=organization_slug
        )
    except SocialApp.DoesNotExist as error:
        raise Http404("unknown identity provider") from error
    metadata, errors = idp_settings.sp_metadata_for(request, app)
    if errors:
        logger.error("SP metadata of %s is invalid: %s", organization_slug, ", ".join(errors))
        return HttpResponse("invalid SP settings", status=503, content_type="text/plain")
    return HttpResponse(metadata, content_type="text/xml")


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
            if request.session.pop(TERMS_PENDING_SESSION_KEY, None):
                messages.success(request, _("You are signed in."))
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

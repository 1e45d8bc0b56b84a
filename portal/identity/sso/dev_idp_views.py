"""Pages of the development IdP: metadata, login form with the demo people, single logout.

Served only when ``settings.DEV_IDP_ENABLED``; otherwise every page answers 404.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.identity import demo
from portal.identity.sso import dev_idp
from portal.identity.sso.idp import sp_metadata_xml

logger = logging.getLogger(__name__)


def dev_idp_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not settings.DEV_IDP_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _sp_metadata() -> tuple[str, ...]:
    """Metadata of the SPs registered for this IdP (so pysaml2 knows their endpoints)."""
    slugs = SocialApp.objects.filter(provider="saml", provider_id=dev_idp.entity_id())
    return tuple(sp_metadata_xml(app.client_id) for app in slugs.order_by("pk"))


@dev_idp_only
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    return HttpResponse(dev_idp.metadata_xml(), content_type="text/xml")


@dev_idp_only
@require_http_methods(["GET", "POST"])
def sso(request: HttpRequest) -> HttpResponse:
    """Receive the SP's AuthnRequest (redirect binding), ask who logs in, answer signed."""
    from saml2 import BINDING_HTTP_REDIRECT

    idp = dev_idp.server(_sp_metadata())
    if request.method == "GET":
        if "SAMLRequest" not in request.GET:
            return render(
                request,
                "portal/sso/dev_idp_login.html",
                {"error": _("Start the login at the portal."), "people": []},
                status=400,
            )
        try:
            parsed = idp.parse_authn_request(request.GET["SAMLRequest"], BINDING_HTTP_REDIRECT)
            message = parsed.message
            acs_url = (
                message.assertion_consumer_service_url
                or idp.metadata.assertion_consumer_service(message.issuer.text)[0]["location"]
            )
        except Exception:  # pysaml2 raises many kinds on a broken request
            logger.warning("development IdP: unreadable AuthnRequest")
            return render(
                request,
                "portal/sso/dev_idp_login.html",
                {"error": _("The login request could not be read."), "people": []},
                status=400,
            )
        request.session[dev_idp.SESSION_KEY] = {
            "id": message.id,
            "acs_url": acs_url,
            "sp_entity_id": message.issuer.text,
            "relay_state": request.GET.get("RelayState", ""),
        }
    pending = request.session.get(dev_idp.SESSION_KEY)
    if pending is None:
        return render(
            request,
            "portal/sso/dev_idp_login.html",
            {"error": _("Start the login at the portal."), "people": []},
            status=400,
        )
    error = ""
    if request.method == "POST":
        person = dev_idp.check_password(
            request.POST.get("username", ""), request.POST.get("password", "")
        )
        if person is not None:
            del request.session[dev_idp.SESSION_KEY]
            xml = dev_idp.build_response(
                person=person,
                in_response_to=pending["id"],
                destination=pending["acs_url"],
                sp_entity_id=pending["sp_entity_id"],
                sp_metadata=_sp_metadata(),
            )
            return render(
                request,
                "portal/sso/dev_idp_post.html",
                {
                    "acs_url": pending["acs_url"],
                    "saml_response": base64.b64encode(xml.encode()).decode(),
                    "relay_state": pending["relay_state"],
                },
            )
        error = _("Unknown demo user or wrong password.")
    return render(
        request,
        "portal/sso/dev_idp_login.html",
        {
            "people": demo.DEMO_PEOPLE,
            "error": error,
            "username": request.POST.get("username", ""),
            "demo_password": demo.DEMO_PASSWORD,
        },
        status=400 if error else 200,
    )


@dev_idp_only
@require_GET
def slo(request: HttpRequest) -> HttpResponse:
    """Answer the SP's LogoutRequest: the IdP forgets nothing (it keeps no session)."""
    from saml2 import BINDING_HTTP_REDIRECT

    idp = dev_idp.server(_sp_metadata())
    try:
        parsed = idp.parse_logout_request(request.GET["SAMLRequest"], BINDING_HTTP_REDIRECT)
        response = idp.create_logout_response(parsed.message, [BINDING_HTTP_REDIRECT])
        destination = idp.metadata.single_logout_service(
            parsed.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        binding = idp.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            request.GET.get("RelayState", ""),
            response=True,
        )
    except Exception:  # a broken or unknown request: end here, the portal session is gone
        logger.warning("development IdP: unreadable LogoutRequest", exc_info=True)
        return HttpResponseRedirect("/")
    location = dict(binding["headers"])["Location"]
    return HttpResponseRedirect(location)

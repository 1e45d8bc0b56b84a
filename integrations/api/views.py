"""The API's pages in the portal: the user's tokens and the API reference.

The reference is rendered on the server from the generated OpenAPI description: no script
and no request to another site.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.api import problems, reference, services
from integrations.api.forms import TokenForm


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens and create one; the new token is shown once, on this answer."""
    form = TokenForm(request.POST or None, user=request.user)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.create_token(
                user=request.user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                scopes=form.cleaned_data["scopes"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                form.add_error(None, message)
        else:
            created = {"token": token, "raw": raw}
            form = TokenForm(user=request.user)
    context = {
        "form": form,
        "created": created,
        "tokens": services.tokens_manageable_by(request.user)[:200],
        "reference_url": reverse("integrations_api:reference"),
    }
    status = 400 if form.is_bound and form.errors else 200
    response = render(request, "integrations/api/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(services.tokens_manageable_by(request.user), pk=pk)
    services.revoke_token(token=token)
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("integrations_api:tokens")


@require_GET
def api_reference(request: HttpRequest) -> HttpResponse:
    """The API reference, open to everyone like the description it renders."""
    return render(
        request,
        "integrations/api/reference.html",
        {
            "operations": reference.operations(),
            "schemas": reference.schemas(),
            "scopes": services.SCOPES,
            "problems": problems.titles(),
            "description_url": reference.description_url(),
        },
    )

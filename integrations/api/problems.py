"""Errors of the REST API as RFC 9457 problem details (``application/problem+json``).

Every refusal has a translated title (the request's ``Accept-Language``) and, for invalid
input, the messages of the same form or service the web page would show, by field.
"""

import json

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by an operation to answer with a problem of its own (e.g. 409)."""

    def __init__(self, status: int, code: str, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers: dict[str, str] = {}


def titles() -> dict[str, str]:
    """The kinds of problem the API answers with, by code (also listed on the reference)."""
    return {
        "unauthenticated": _("A valid API token is required."),
        "forbidden": _("This token may not do this."),
        "not-found": _("Not found."),
        "invalid": _("The request is not valid."),
        "conflict": _("The request conflicts with the current state."),
        "rate-limited": _("Too many requests for this token."),
    }


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str = "",
    detail: str = "",
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": f"{reverse('integrations_api:reference')}#problem-{code}",
        "title": title or titles()[code],
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": errors or [],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Content-Language"] = get_language() or ""
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def django_errors(error: DjangoValidationError) -> list[dict]:
    if hasattr(error, "error_dict"):
        return [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message} for message in error.messages]


def install(api: NinjaAPI) -> None:
    """Answer every error of ``api`` as problem details."""

    @api.exception_handler(Problem)
    def own(request: HttpRequest, exc: Problem) -> HttpResponse:
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            headers=exc.headers,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            request,
            status=401,
            code="unauthenticated",
            detail=_("Send a token of the portal's API as 'Authorization: Bearer <token>'."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response(request, status=403, code="forbidden", detail=str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(request, status=404, code="not-found")

    @api.exception_handler(ValidationError)
    def invalid_body(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
            if location and location[0] == "payload":
                location = location[1:]
            errors.append({"field": ".".join(location) or None, "message": error.get("msg", "")})
        return problem_response(request, status=422, code="invalid", errors=errors)

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return problem_response(request, status=422, code="invalid", errors=django_errors(exc))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {401: "unauthenticated", 403: "forbidden", 404: "not-found", 429: "rate-limited"}
        if exc.status_code in codes:
            return problem_response(request, status=exc.status_code, code=codes[exc.status_code])
        # an unreadable body (not JSON): the same answer as any invalid input
        return problem_response(request, status=422, code="invalid", detail=str(exc))

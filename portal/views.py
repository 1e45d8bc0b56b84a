import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from portal.health import health_response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The portal's mark where a browser looks for it without a link (``/favicon.ico``)."""
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers: 200 when every configured service answers, else 503;
    the background jobs beside it, the media servers with ``?deep=1`` (portal/health.py).
    Usually answered earlier by ``portal.health.HealthCheckMiddleware``."""
    return health_response(request)


#: Errors that mean a service the portal needs (PostgreSQL, Redis, the broker) is away for a
#: moment, not that the request or the code is wrong.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerUnavailable,
)

#: Seconds a client is asked to wait before retrying while a service is away.
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler for uncaught errors: a translated page, never the bare "Server Error".

    A service that is briefly away (database, Redis, broker) answers 503 with ``Retry-After``
    so that people, proxies and load balancers know to come back; anything else answers 500.
    The page is rendered without the request's context processors, which may need the very
    service that is away (the user, the session).
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, UNAVAILABLE_ERRORS)
    template = "errors/unavailable.html" if unavailable else "errors/server_error.html"
    body = get_template(template).render({"INSTITUTION_NAME": settings.INSTITUTION_NAME})
    response = HttpResponse(body, status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response

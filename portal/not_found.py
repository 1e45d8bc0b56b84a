"""The portal's own "page not found" page also while ``DEBUG`` is on (``scripts/run``).

Django shows its technical 404 page, with the URL patterns, whenever ``DEBUG`` is on; people
trying the portal on a development machine should see the page production shows
(``templates/404.html``). ``DEBUG_TECHNICAL_404=true`` brings Django's page back for developers.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found


class PortalNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and settings.DEBUG
            and not settings.DEBUG_TECHNICAL_404
            and not getattr(request, "_portal_view_found", False)
        ):
            # no URL pattern matched: Django answered with its technical page
            return page_not_found(request, Http404())
        return response

    def process_view(self, request: HttpRequest, *args: object) -> None:
        request._portal_view_found = True

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and settings.DEBUG and not settings.DEBUG_TECHNICAL_404:
            return page_not_found(request, exception)
        return None

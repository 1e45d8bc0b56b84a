"""Websocket routes of every app: the wiring includes them, as ``portal.urls`` does for HTTP.

Each consumer is wrapped so that open websockets are counted for the metrics
(portal/metrics.py::CountedWebsocket).
"""

from django.urls import URLPattern

from meetings.routing import websocket_urlpatterns as meetings_routes
from portal.metrics import CountedWebsocket


def _counted(route: URLPattern) -> URLPattern:
    return URLPattern(
        route.pattern, CountedWebsocket(route.callback), route.default_args, route.name
    )


websocket_urlpatterns = [_counted(route) for route in meetings_routes]

"""Websocket routes of all apps.

``portal`` may not import the apps above it, so they register their routes here from their
``AppConfig.ready()`` through :func:`register_websocket_routes`.
"""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []


def register_websocket_routes(patterns: list[URLPattern]) -> None:
    """Add an app's websocket URL patterns (called from ``AppConfig.ready()``)."""
    for pattern in patterns:
        if pattern not in websocket_urlpatterns:
            websocket_urlpatterns.append(pattern)

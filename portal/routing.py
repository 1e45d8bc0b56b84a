"""Websocket routes of every app: the wiring includes them, as ``portal.urls`` does for HTTP."""

from meetings.routing import websocket_urlpatterns as meetings_routes

websocket_urlpatterns = [*meetings_routes]

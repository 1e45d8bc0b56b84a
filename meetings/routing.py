"""The meetings app's websocket routes: each feature's own."""

from meetings.live.routing import websocket_urlpatterns as live_routes
from meetings.recordings.routing import websocket_urlpatterns as recording_routes

websocket_urlpatterns = [*live_routes, *recording_routes]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from meetings.routing_recording import websocket_urlpatterns as recording_routes
        from portal.routing import register_websocket_routes

        register_websocket_routes(recording_routes)

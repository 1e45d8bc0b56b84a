from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from meetings.polls.routing import websocket_urlpatterns as poll_routes
        from portal.routing import register_websocket_routes

        register_websocket_routes(poll_routes)

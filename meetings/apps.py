from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from meetings import (
            retention_categories_recordings,  # noqa: F401
            tasks_live,  # noqa: F401 (registers the live room's Celery tasks)
        )
        from meetings import routing as live_routing
        from meetings.polls import tasks as poll_tasks  # noqa: F401 (registers the polls' tasks)
        from meetings.routing_recording import websocket_urlpatterns as recording_routes
        from portal.routing import register_websocket_routes

        register_websocket_routes(live_routing.websocket_urlpatterns)
        register_websocket_routes(recording_routes)

        # the data categories of chat, reports, attendance, polls and invitations
        import meetings.retention_categories  # noqa: F401

from django.urls import path

from meetings.live.consumers import MeetingConsumer

websocket_urlpatterns = [
    path("ws/meetings/<str:meeting_id>/", MeetingConsumer.as_asgi(), name="meeting-socket"),
]

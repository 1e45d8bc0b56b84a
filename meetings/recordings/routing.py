from django.urls import path

from meetings.recordings.consumers import RecordingIndicatorConsumer

websocket_urlpatterns = [
    path("ws/recording/<int:meeting_pk>/", RecordingIndicatorConsumer.as_asgi()),
]

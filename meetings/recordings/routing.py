from django.urls import path

from meetings.recordings.consumers import RecordingIndicatorConsumer

websocket_urlpatterns = [
    path("ws/recording/<str:meeting_id>/", RecordingIndicatorConsumer.as_asgi()),
]

from django.urls import path

from meetings.polls.consumers import PollEventsConsumer

websocket_urlpatterns = [
    path("ws/polls/<int:meeting_pk>/", PollEventsConsumer.as_asgi()),
]

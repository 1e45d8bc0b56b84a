"""A thin websocket for the room's poll panel: forwards the meeting's ``poll.*`` room events.

Joins the meeting's group (``meetings.live.meeting_group``) like the room consumer does and
passes on only events whose name starts with ``poll.``, so it can later be folded into the
room consumer. Only admitted participants and hosts may connect.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser

from meetings.live import meeting_group
from meetings.models import Meeting
from meetings.polls import selectors


class PollEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        meeting_pk = int(self.scope["url_route"]["kwargs"]["meeting_pk"])
        if not await self._may_listen(meeting_pk):
            await self.close()
            return
        self.group = meeting_group(meeting_pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        """Browsers only listen here; votes go through the HTTP endpoint."""

    async def room_event(self, message: dict) -> None:
        if message["event"].startswith("poll."):
            await self.send_json({"event": message["event"], "payload": message["payload"]})

    @database_sync_to_async
    def _may_listen(self, meeting_pk: int) -> bool:
        meeting = Meeting.objects.filter(pk=meeting_pk).first()
        if meeting is None:
            return False
        user, session = self.scope.get("user"), self.scope.get("session") or {}
        if user is not None and selectors.user_hosts_meeting(user, meeting):
            return True
        voter = selectors.eligible_voter(
            meeting=meeting, user=user or AnonymousUser(), session=session
        )
        return voter is not None

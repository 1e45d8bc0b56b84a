"""The live recording indicator: forwards the room's recording events to one browser.

Separate from the live room's consumer: it only listens (``recording.*`` events of the
meeting's group) and only for people who may follow the meeting.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from meetings.live.broadcast import meeting_group
from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.recordings.services import running_session
from meetings.scheduling.models import Meeting


@database_sync_to_async
def _may_follow(scope: dict, meeting_id: str) -> tuple[int | None, bool]:
    """(the meeting's key if the caller may follow it, whether a recording runs)."""
    meeting = Meeting.objects.filter(meeting_id=meeting_id).first()
    if meeting is None:
        return None, False
    user = scope.get("user")
    allowed = False
    if user is not None and user.is_authenticated:
        allowed = meeting.is_hosted_by(user) or (
            Participant.objects.filter(
                meeting=meeting,
                user=user,
                state__in=[Participant.State.WAITING, Participant.State.ADMITTED],
            ).exists()
        )
    else:
        session = scope.get("session") or {}
        guest_key = session.get(guest_session_key(meeting))
        allowed = (
            bool(guest_key)
            and Participant.objects.filter(meeting=meeting, user__isnull=True, guest_key=guest_key)
            .exclude(state__in=[Participant.State.REMOVED, Participant.State.DECLINED])
            .exists()
        )
    if not allowed:
        return None, False
    return meeting.pk, running_session(meeting=meeting) is not None


class RecordingIndicatorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        meeting_id = str(self.scope["url_route"]["kwargs"]["meeting_id"])
        meeting_pk, running = await _may_follow(self.scope, meeting_id)
        if meeting_pk is None:
            await self.close(code=4404)
            return
        self.group = meeting_group(meeting_pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # the state at connect time: a browser that connects late still sees the truth
        await self.send_json({"event": "recording.state", "running": running})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:  # noqa: ANN003
        """The indicator only listens."""

    async def room_event(self, message: dict) -> None:
        event = message.get("event", "")
        if event == "recording.started":
            await self.send_json({"event": event, "running": True})
        elif event == "recording.stopped":
            await self.send_json({"event": event, "running": False})

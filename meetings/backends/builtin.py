"""The built-in backend: the complete control plane, no audio or video.

Used for tests, demonstrations and meetings whose media come from elsewhere. It keeps no state
of its own (the room name derives from the meeting ID), so any number of server processes
agree on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meetings.backends.base import (
    ConferencingBackend,
    RecordingInfo,
    RecordingNotSupported,
    RoomInfo,
)
from meetings.scheduling.models import Meeting

if TYPE_CHECKING:  # a backend is handed participants; it never queries the live room
    from meetings.live.models import Participant


class BuiltinBackend(ConferencingBackend):
    name = "builtin"

    def create_room(self, *, meeting: Meeting) -> RoomInfo:
        return RoomInfo(room_name=f"portal-{meeting.meeting_id}", has_media=False)

    def join_url(self, *, meeting: Meeting, participant: Participant) -> str | None:
        return None

    def end_room(self, *, meeting: Meeting) -> None:
        return None

    def start_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        raise RecordingNotSupported("The built-in backend carries no media to record.")

    def stop_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        raise RecordingNotSupported("The built-in backend carries no media to record.")

    def list_recordings(self, *, meeting: Meeting) -> list[RecordingInfo]:
        return []

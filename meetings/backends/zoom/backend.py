"""The Zoom backend behind the ``ConferencingBackend`` interface."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from meetings.backends.base import ConferencingBackend, RecordingInfo, RoomInfo
from meetings.backends.zoom import services
from meetings.backends.zoom.client import ZoomError, ZoomNotFound, ZoomUnavailable
from meetings.backends.zoom.models import ZoomMeeting
from meetings.scheduling.models import Meeting

if TYPE_CHECKING:  # a backend is handed participants; it never queries the live room
    from meetings.live.models import Participant

logger = logging.getLogger(__name__)


class ZoomBackend(ConferencingBackend):
    name = "zoom"

    def create_room(self, *, meeting: Meeting) -> RoomInfo:
        zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
        if zoom_meeting is None or not zoom_meeting.is_secured:
            services.request_meeting_sync(meeting=meeting)
        number = zoom_meeting.zoom_meeting_id if zoom_meeting else None
        return RoomInfo(room_name=f"zoom-{number or 'pending'}", has_media=True)

    def join_url(self, *, meeting: Meeting, participant: Participant) -> str | None:
        """The host gets Zoom's start link (fetched now: it expires); everyone else the
        personal link of their approved registration, or None while it is pending."""
        if participant.user_id is not None and participant.user_id == meeting.host_id:
            zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
            if zoom_meeting is None or not zoom_meeting.is_secured:
                return None
            try:
                data = services.client().get(f"/meetings/{zoom_meeting.zoom_meeting_id}")
            except ZoomError:
                return None
            return data.get("start_url")
        return services.personal_join_url(meeting=meeting, participant=participant)

    def end_room(self, *, meeting: Meeting) -> None:
        services.end_remote_meeting(meeting=meeting)

    def start_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        services.recording_control(meeting=meeting, method="recording.start")

    def stop_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        try:
            services.recording_control(meeting=meeting, method="recording.stop")
        except ZoomUnavailable:
            from meetings.backends.zoom.tasks import stop_recording_task

            stop_recording_task.delay(meeting.pk)

    def list_recordings(self, *, meeting: Meeting) -> list[RecordingInfo]:
        zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
        if zoom_meeting is None or zoom_meeting.zoom_meeting_id is None:
            return []
        try:
            data = services.client().get(f"/meetings/{zoom_meeting.zoom_meeting_id}/recordings")
        except ZoomNotFound:
            return []
        found = []
        for file in data.get("recording_files") or []:
            found.append(
                RecordingInfo(
                    backend_ref=str(file.get("id")),
                    started_at=_time(file.get("recording_start")),
                    ended_at=_time(file.get("recording_end")),
                    size_bytes=file.get("file_size"),
                )
            )
        return found

    def participants_admitted(self, *, meeting: Meeting, participants: list[Participant]) -> None:
        services.admit(meeting=meeting, participants=participants)

    def participant_removed(self, *, meeting: Meeting, participant: Participant) -> None:
        services.remove(meeting=meeting, participant=participant)

    def discard_recordings(self, *, meeting: Meeting) -> None:
        services.discard_recordings(meeting=meeting)


def _time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))

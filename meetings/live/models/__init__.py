"""Models of the live meeting: who waits or is in the room, and what the meeting leaves behind
(stored chat, attendance list, meeting report)."""

from meetings.live.models.artefacts import AttendanceRecord, ChatMessage, MeetingReport
from meetings.live.models.participant import Participant

__all__ = ["AttendanceRecord", "ChatMessage", "MeetingReport", "Participant"]

"""Models of the meetings app, one module per area so that work on one does not touch another.

- ``meeting``: meetings, their security settings and lifecycle (scheduling)
- ``participant``: who is waiting or in the room while a meeting lasts (join flow, live room)
- further modules (live room, chat, polls, recordings) are added beside it and imported here.
"""

from meetings.models.invitation import Invitation  # noqa: I001
from meetings.models.live import AttendanceRecord, ChatMessage, MeetingReport
from meetings.models.meeting import Meeting
from meetings.models.participant import Participant
from meetings.models.permissions import MeetingGroupObjectPermission, MeetingUserObjectPermission
from meetings.models.policy import MeetingPolicy
from meetings.models.recording import Recording, RecordingSession
from meetings.models.polls import (
    FreeTextAnswer,
    NamedBallot,
    Option,
    OptionTally,
    Poll,
    PollReceipt,
    Question,
)
from meetings.models.series import MeetingSeries

__all__ = [
    "FreeTextAnswer",
    "AttendanceRecord",
    "ChatMessage",
    "Invitation",
    "Meeting",
    "MeetingGroupObjectPermission",
    "MeetingReport",
    "MeetingPolicy",
    "MeetingSeries",
    "MeetingUserObjectPermission",
    "NamedBallot",
    "Option",
    "OptionTally",
    "Participant",
    "Poll",
    "PollReceipt",
    "Question",
    "Recording",
    "RecordingSession",
]

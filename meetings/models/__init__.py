"""Models of the meetings app, one module per area so that work on one does not touch another.

- ``meeting``: meetings, their security settings and lifecycle (scheduling)
- ``participant``: who is waiting or in the room while a meeting lasts (join flow, live room)
- further modules (live room, chat, polls, recordings) are added beside it and imported here.
"""

from meetings.models.meeting import Meeting
from meetings.models.participant import Participant
from meetings.models.recording import Recording, RecordingSession

__all__ = ["Meeting", "Participant", "Recording", "RecordingSession"]

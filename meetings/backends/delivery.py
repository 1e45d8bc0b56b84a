"""Where a backend hands over what it learnt from the media plane: finished recordings and,
where the meeting requires attendance, who joined and left.

Backends sit below the recordings feature and the live room (docs/ARCHITECTURE.md, layers),
so those register here from ``meetings/apps.py``. Without a registered recording sink a
backend's recording is never imported (fail closed).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from meetings.recordings.models import Recording, RecordingSession
    from meetings.scheduling.models import Meeting


class RecordingSink(Protocol):
    def session_for(
        self, *, meeting: Meeting, started_at: datetime.datetime, ended_at: datetime.datetime
    ) -> RecordingSession | None:
        """The portal's recording session covering this time whose consents all still hold
        (everyone recorded consented and nobody withdrew), else None."""

    def store(
        self, *, session: RecordingSession, stream: BinaryIO, content_type: str, size: int | None
    ) -> Recording:
        """Store the file on the institution's storage (checksum, retention)."""

    def is_recording(self, *, meeting: Meeting) -> bool:
        """Whether the portal has a recording running for the meeting."""


_sinks: list[RecordingSink] = []


def register_recording_sink(sink: RecordingSink) -> None:
    if not any(type(existing) is type(sink) for existing in _sinks):
        _sinks.append(sink)


def recording_sink() -> RecordingSink | None:
    return _sinks[0] if _sinks else None

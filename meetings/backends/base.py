"""The interface every conferencing backend implements."""

from __future__ import annotations

import abc
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meetings.scheduling.models import Meeting

if TYPE_CHECKING:  # a backend is handed participants; it never queries the live room
    from meetings.live.models import Participant


class BackendError(Exception):
    """The backend could not do what was asked (unreachable, rate-limited or refused)."""


class BackendUnavailable(BackendError):
    """The backend could not be reached or is failing for now (try again later)."""


class RecordingNotSupported(Exception):
    """The backend cannot record (the built-in backend carries no media)."""


@dataclass(frozen=True)
class RoomInfo:
    """A backend's room for one meeting. ``has_media`` is false for the built-in backend."""

    room_name: str
    has_media: bool


@dataclass(frozen=True)
class RecordingInfo:
    """A recording the backend holds and can hand over to the portal's own storage."""

    backend_ref: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    size_bytes: int | None = None


class ConferencingBackend(abc.ABC):
    """Media plane of a meeting. Called by the live services, never by views directly.

    Every method is idempotent: a second ``create_room`` or ``end_room`` for the same meeting
    does no harm (two server processes may race at a meeting's start or end).
    """

    #: Whether the portal turns the backend's raw files of a stopped recording into one file
    #: (``export_recording``); a service that hands over finished files announces them itself.
    exports_recordings: bool = False

    name: str = ""

    @abc.abstractmethod
    def create_room(self, *, meeting: Meeting) -> RoomInfo:
        """Make sure the meeting has a room on the backend and return it."""

    @abc.abstractmethod
    def join_url(self, *, meeting: Meeting, participant: Participant) -> str | None:
        """The media URL for one admitted participant (None: the backend carries no media)."""

    @abc.abstractmethod
    def end_room(self, *, meeting: Meeting) -> None:
        """Close the room; every media session of the meeting ends."""

    def media_session(self, *, meeting: Meeting, participant: Participant) -> dict[str, Any] | None:
        """Media credentials for one admitted participant's browser (None: no media).

        Called by the live services only for admitted participants; the answer holds nothing
        that lets anyone else in (no room secret, no server secret).
        """
        return None

    def revoke_media(self, *, meeting: Meeting, participant: Participant) -> None:
        """Take back the participant's media credentials and end their media at once."""
        return None

    def mute_all(self, *, meeting: Meeting, except_feeds: list[int]) -> int:
        """Mute everyone's microphone on the media server (the host's "mute all")."""
        return 0

    @abc.abstractmethod
    def start_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        """Start recording (only after the consent checks of the portal have passed).

        ``reference`` names the recording session; the files of one session stay together.
        """

    @abc.abstractmethod
    def stop_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        """Stop a running recording."""

    @abc.abstractmethod
    def list_recordings(self, *, meeting: Meeting) -> list[RecordingInfo]:
        """Recordings of the meeting that the backend still holds."""

    def export_recording(self, *, meeting: Meeting, reference: str, into: Path) -> Path:
        """Turn the backend's files of one recording session into one file under ``into``."""
        raise RecordingNotSupported("This backend hands over no recordings.")

    def discard_recording(self, *, meeting: Meeting, reference: str) -> None:
        """Delete the backend's raw files of one recording session (after export or expiry)."""
        return None

    def raw_recording_location(self, *, meeting: Meeting, reference: str) -> str:
        """Where the raw files of one recording session lie, as a string the portal keeps
        track of until they are deleted ("": this backend keeps no raw files)."""
        return ""

    def discard_raw_recording(self, *, location: str) -> None:
        """Delete the raw files at ``location`` (see :meth:`raw_recording_location`) without
        needing the meeting, which may be gone. Files already gone count as deleted; a
        storage that cannot be reached raises."""
        return None

    # Optional hooks (no-ops here): a backend with its own admission or storage mirrors the
    # portal's decisions in them. The services call them after their transaction commits.
    def participants_admitted(self, *, meeting: Meeting, participants: list[Participant]) -> None:
        """The portal admitted these participants (e.g. approve their registration)."""
        return None

    def participant_removed(self, *, meeting: Meeting, participant: Participant) -> None:
        """The portal removed this participant (e.g. cancel their personal link)."""
        return None

    def discard_recordings(self, *, meeting: Meeting) -> None:
        """A recording of the meeting is deleted or due for deletion in the portal: delete
        whatever copy the backend still holds."""
        return None

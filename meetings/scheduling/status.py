"""What the meeting page tells its hosts about the meeting's state elsewhere (a conferencing
backend that still has to confirm it, for instance).

Scheduling sits below the backends (docs/ARCHITECTURE.md, layers): a backend registers a
function from ``meetings/apps.py`` that returns a notice for a meeting, or None.
"""

from collections.abc import Callable
from dataclasses import dataclass

from meetings.scheduling.models import Meeting


@dataclass(frozen=True)
class MeetingNotice:
    text: str
    pending: bool  # True: not yet confirmed, the host should not rely on it yet


_providers: list[Callable[[Meeting], MeetingNotice | None]] = []


def register_meeting_notice(provider: Callable[[Meeting], MeetingNotice | None]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def notices(meeting: Meeting) -> list[MeetingNotice]:
    return [notice for provider in _providers if (notice := provider(meeting)) is not None]

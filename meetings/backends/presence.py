"""Who a backend reports as present in its own room (Zoom's participant events).

The live room keeps the attendance list; backends sit below it and never import it, so the
live room registers here what to do with such a report (``MeetingsConfig.ready()``;
docs/ARCHITECTURE.md: a lower feature offers a registry that a higher one fills).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meetings.scheduling.models import Meeting

PresenceHook = Callable[["Meeting", int, bool, datetime.datetime], object]
_hooks: list[PresenceHook] = []


def register_presence_hook(hook: PresenceHook) -> None:
    """Call ``hook(meeting, participant_pk, joined, at)`` for every report (registered once)."""
    if hook not in _hooks:
        _hooks.append(hook)


def report_presence(
    *, meeting: Meeting, participant_pk: int, joined: bool, at: datetime.datetime
) -> None:
    """The backend saw the portal's participant ``participant_pk`` join or leave at ``at``."""
    for hook in _hooks:
        hook(meeting, participant_pk, joined, at)

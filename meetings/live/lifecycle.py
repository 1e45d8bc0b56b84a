"""What other features do when a meeting ends, without the live room knowing them.

The recordings feature registers "stop a running recording" here from ``MeetingsConfig.ready()``
(docs/ARCHITECTURE.md: a lower feature offers a registry that a higher one fills).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meetings.scheduling.models import Meeting

_on_end: list[Callable[[Meeting], object]] = []


def register_on_meeting_end(hook: Callable[[Meeting], object]) -> None:
    """Run ``hook(meeting)`` inside the transaction that ends a meeting (registered once)."""
    if hook not in _on_end:
        _on_end.append(hook)


def meeting_ends(meeting: Meeting) -> None:
    for hook in _on_end:
        hook(meeting)

"""Tell every browser in a meeting's room that something happened.

All live events of a meeting go through one channel-layer group, ``meeting-<pk>``; the
meeting's websocket consumer forwards them to the browsers. Services (admit, lock, polls,
recording indicator, ...) call :func:`broadcast_to_meeting` after their transaction commits.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def meeting_group(meeting_pk: int) -> str:
    return f"meeting-{meeting_pk}"


def broadcast_to_meeting(meeting_pk: int, event: str, **payload: Any) -> None:
    """Send ``event`` with ``payload`` to everyone connected to the meeting's room.

    The consumer receives ``{"type": "room.event", "event": event, "payload": payload}``.
    Payloads carry ids and display names only, never passcodes or e-mail addresses.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        meeting_group(meeting_pk), {"type": "room.event", "event": event, "payload": payload}
    )

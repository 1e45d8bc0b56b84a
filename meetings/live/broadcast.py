"""Tell every browser in a meeting's room that something happened.

All live events of a meeting go through channel-layer groups; the meeting's websocket
consumer (:mod:`meetings.live.consumers`) forwards them to the browsers. Services (admit, lock,
polls, recording indicator, ...) call :func:`broadcast_to_meeting` after their transaction
commits.

Who receives an event is said by two optional payload keys, which the consumer strips before
forwarding:

- ``audience``: ``"admitted"`` (default: everyone in the room), ``"hosts"`` (host and
  co-hosts only) or ``"all"`` (the room and the waiting room, e.g. the meeting ended);
- ``participant_ids``: a list of participant ids; only their browsers receive the event,
  whether they are waiting or in the room.

Groups: ``meeting-<pk>`` (the room), ``meeting-<pk>-hosts``, ``meeting-<pk>-waiting`` and one
per participant (``meeting-<pk>-participant-<id>``), so that waiting browsers never see room
events and a private message is not sent to every browser of a large meeting.
"""

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

AUDIENCE_ADMITTED = "admitted"
AUDIENCE_HOSTS = "hosts"
AUDIENCE_ALL = "all"
# Events aimed at more participants than this go to the shared groups (one send each) and the
# consumers drop what is not theirs; fewer go to each participant's own group.
PERSONAL_DELIVERY_MAX = 5


def meeting_group(meeting_pk: int) -> str:
    return f"meeting-{meeting_pk}"


def hosts_group(meeting_pk: int) -> str:
    return f"meeting-{meeting_pk}-hosts"


def waiting_group(meeting_pk: int) -> str:
    return f"meeting-{meeting_pk}-waiting"


def participant_group(meeting_pk: int, participant_pk: int) -> str:
    return f"meeting-{meeting_pk}-participant-{participant_pk}"


def groups_for(meeting_pk: int, payload: dict[str, Any]) -> list[str]:
    """The channel-layer groups an event with this payload is sent to."""
    participant_ids = payload.get("participant_ids")
    if participant_ids is not None:
        if len(participant_ids) <= PERSONAL_DELIVERY_MAX:
            return [participant_group(meeting_pk, pk) for pk in participant_ids]
        return [meeting_group(meeting_pk), waiting_group(meeting_pk)]
    audience = payload.get("audience", AUDIENCE_ADMITTED)
    if audience == AUDIENCE_HOSTS:
        return [hosts_group(meeting_pk)]
    if audience == AUDIENCE_ALL:
        return [meeting_group(meeting_pk), waiting_group(meeting_pk)]
    return [meeting_group(meeting_pk)]


def broadcast_to_meeting(meeting_pk: int, event: str, **payload: Any) -> None:
    """Send ``event`` with ``payload`` to everyone connected to the meeting's room.

    The consumer receives ``{"type": "room.event", "event": event, "payload": payload}``.
    Payloads carry ids and display names only, never passcodes or e-mail addresses.
    ``audience`` and ``participant_ids`` in the payload narrow the recipients (see above).
    """
    layer = get_channel_layer()
    if layer is None:
        return
    if payload.get("participant_ids") is not None:
        # sorted, so that each of many receiving sockets finds itself by bisection
        payload["participant_ids"] = sorted(payload["participant_ids"])
    message = {"type": "room.event", "event": event, "payload": payload}

    async def send() -> None:
        for group in groups_for(meeting_pk, payload):
            await layer.group_send(group, message)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send)()
        return
    # Sync code running inside an event loop's thread (Playwright's sync API in tests does
    # this) may not block that loop with async_to_sync: send from a helper thread instead.
    failures: list[BaseException] = []

    def run() -> None:
        try:
            async_to_sync(send)()
        except BaseException as error:  # re-raised in the caller's thread
            failures.append(error)

    helper = threading.Thread(target=run, name="broadcast_to_meeting")
    helper.start()
    helper.join()
    if failures:
        raise failures[0]

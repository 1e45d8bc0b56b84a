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
import concurrent.futures
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
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
        pass
    else:
        # Sync code running inside an event loop's thread (Playwright's sync API in tests does
        # this) may not block that loop: the process's sender sends instead.
        _send_from_sender(send)
        return
    threadlocal = SyncToAsync.threadlocal
    main_loop = getattr(threadlocal, "main_event_loop", None)
    in_server_loop = getattr(threadlocal, "main_event_loop_pid", None) == os.getpid()
    if main_loop is not None and in_server_loop and main_loop.is_running():
        # a sync view or database thread under ASGI: the server's own loop and its connection
        async_to_sync(send)()
        return
    _send_from_sender(send)


#: How long a request waits for its channel-layer message to be handed to Redis.
SEND_TIMEOUT_SECONDS = 10.0


class _Sender:
    """One event loop in a daemon thread of this process that sends every channel-layer
    message of synchronous code (gunicorn's threads, Celery, management commands).

    ``async_to_sync`` in a thread without an event loop starts a new thread with a new loop
    for each call, and channels-redis keeps its connections per loop: every broadcast of a
    WSGI request paid a thread, a loop and a new Redis connection, 40 % of a join
    (docs/ARCHITECTURE.md, "Serving"). This loop lives as long as the process and keeps its
    connection pool. It is created on first use in each process: a loop thread does not
    survive ``fork`` (gunicorn forks its workers), so a child starts its own."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="channel-layer-sender", daemon=True
        )
        self.thread.start()

    def alive(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()


_sender: _Sender | None = None
_sender_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _sender, _sender_lock
    _sender = None
    _sender_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def _process_sender() -> _Sender:
    global _sender
    sender = _sender
    if sender is not None and sender.alive():
        return sender
    with _sender_lock:
        if _sender is None or not _sender.alive():
            _sender = _Sender()
        return _sender


def _send_from_sender(send: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``send()`` on the process's sender loop and wait until Redis has it (errors are
    raised here, in the caller's thread)."""
    future = asyncio.run_coroutine_threadsafe(send(), _process_sender().loop)
    try:
        future.result(timeout=SEND_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise

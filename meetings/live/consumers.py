"""The meeting's websocket: thin, as in venueless' live consumers.

Each connection identifies its participant from the session (account or guest key), joins the
channel-layer groups that participant may hear (see :mod:`meetings.live.broadcast`), forwards room
events to the browser and turns the browser's actions into calls of
:mod:`meetings.live.services`. Nothing about the meeting is kept here beyond which participant
this connection belongs to; the database holds the state.
"""

import asyncio
import bisect
import contextlib
import datetime
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError
from django.utils import timezone
from redis.exceptions import RedisError

from meetings.live import broadcast as live
from meetings.live import people, presence, rate
from meetings.live import selectors as selectors_live
from meetings.live import services as services_live
from meetings.live.models import Participant
from meetings.scheduling.models import Meeting

logger = logging.getLogger(__name__)

CLOSE_NOT_ALLOWED = 4403
#: "Try again later" (RFC 6455): the database or the channel layer is briefly away; the room's
#: script says "reconnecting…" and tries again with a growing delay.
CLOSE_TRY_AGAIN = 1013
#: Chat messages a reconnecting page is sent at most (those it missed while it was away).
CHAT_REPLAY_MAX = 200
#: Errors of the services behind the socket that are temporary, not bugs.
UNAVAILABLE = (DatabaseError, RedisError, OSError)
#: The largest frame a browser may send: room actions are small, a chat message at most
#: ``services.CHAT_MAX_LENGTH`` characters. Larger frames are refused before they are parsed.
MAX_FRAME_BYTES = 16 * 1024
#: Messages one socket may send: a burst of this many, refilled at ``RATE_PER_SECOND``. Enough
#: for a person clicking and typing; a script flooding the room gets "slow_down" errors and its
#: messages are dropped (docs/POLICY.md, security baseline).
RATE_BURST = 20
RATE_PER_SECOND = 5.0
#: Changes of the participant lists (joins, admits, leaves, dropped connections) reach one
#: browser at most this often, merged into one "people" event: a host of a lecture of 1,000
#: gets a few messages a second, not one per person (docs/ARCHITECTURE.md, lecture scale).
PEOPLE_FLUSH_SECONDS = 0.25
#: Sockets of one process that open, close or change groups at the same time; the rest wait
#: their turn.
#: After a restart a thousand pages come back within a second: unbounded, each opens Redis
#: and database connections of its own, and under load connecting alone outlasts the
#: timeouts. Bounded, the same work is done in turn over a few pooled connections.
HANDSHAKES_AT_ONCE = 16
_handshakes: dict[int, asyncio.Semaphore] = {}
#: How long a process trusts the time limit it read for a meeting. Reading it (the host's
#: licence) was the costliest query of a socket's connect; every socket of a reconnect storm
#: read the same answer. A licence changed during a meeting applies within this time; the
#: room's actions and the Celery task still check it on every call.
DEADLINE_KNOWN_SECONDS = 60
_deadlines: dict[tuple, tuple[float, datetime.datetime | None]] = {}
#: Meeting IDs (as in the socket's URL) and the meetings' keys this process has seen.
_meeting_pks: dict[str, int] = {}


def _handshake_turn() -> asyncio.Semaphore:
    """The process's bound on concurrent opens and closes (one per event loop)."""
    loop = asyncio.get_running_loop()
    turn = _handshakes.get(id(loop))
    if turn is None:
        turn = _handshakes[id(loop)] = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    return turn


def in_thread(function: Any) -> Any:
    """Run ``function`` in a worker thread of the event loop's pool, with Django's database
    connection cleanup around it.

    Channels' default (thread-sensitive) runs the database work of every socket of a process
    on one single thread: 1,000 sockets reconnecting after a restart then queue behind each
    other's round trips to PostgreSQL and Redis. Nothing here needs one thread: every call
    reads or writes committed state by itself (docs/ARCHITECTURE.md, lecture scale).
    """
    return database_sync_to_async(function, thread_sensitive=False)


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    participant_pk: int | None = None
    meeting_pk: int | None = None
    is_host: bool = False
    groups_joined: list[str]
    counted: bool = False

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its ``close_old_connections`` before every message.

        Channels runs that on the process' one thread-sensitive thread, for every event
        of every socket: a chat message to 1,000 sockets queued 1,000 hops on one thread,
        and a reconnect storm's handshakes waited behind them. It closes the connections of
        that thread, which this consumer never uses: its database work runs in ``in_thread``,
        which closes its own connections around each call.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        """As Channels' own, without its final hop to the thread-sensitive thread (above)."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def connect(self) -> None:
        async with _handshake_turn():
            await self._connect()

    async def _connect(self) -> None:
        self.groups_joined = []
        self.counted = False
        self._pending_people: dict[int, dict] = {}
        self._pending_presence: dict[int, bool] = {}
        self._flush: asyncio.Task | None = None
        self._last_flush = 0.0
        try:
            found = await in_thread(self._identify)()
            if found is None:
                await self.close(code=CLOSE_NOT_ALLOWED)
                return
            participant, snapshot, people_json = found
            self.participant_pk, self.meeting_pk = participant.pk, participant.meeting_id
            self.is_host = participant.is_host and participant.is_admitted
            for group in self._groups_for(participant):
                await self._join(group)
            await self.accept()
            await self._send_state(snapshot, people_json)
            # once this browser hears the room, so that a warning or the end reaches it (one
            # thread hop for both)
            came_back = await in_thread(self._after_accept)(participant.is_admitted)
            if came_back:
                await self._announce_presence(connected=True)
        except UNAVAILABLE as error:
            # a clean close the page explains, not a traceback and a failed handshake
            logger.warning("room socket refused: %s unavailable", type(error).__name__)
            if not getattr(self, "accepted", False):
                await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "_flush", None) is not None:
            self._flush.cancel()
            self._flush = None
        async with _handshake_turn():
            await self._disconnect()

    async def _disconnect(self) -> None:
        for group in list(self.groups_joined):
            with contextlib.suppress(*UNAVAILABLE):  # the group entry expires on its own
                await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        if self.counted:
            try:
                if await in_thread(self._uncount_socket)():
                    await self._announce_presence(connected=False)
            except UNAVAILABLE:
                logger.warning("room socket: presence not updated, cache unavailable")

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    # --- from the browser -----------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Refuse oversized, binary, malformed and too frequent frames with an error event; the
        socket stays open (a bad frame never kills the connection or logs a traceback)."""
        if not self._take_token():
            await self._error("slow_down")
            return
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error("too_large" if text_data is not None or bytes_data else "bad_request")
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self._error("bad_request")
            return
        await self.receive_json(content)

    def _take_token(self) -> bool:
        allowed, self._bucket = rate.take_token(
            getattr(self, "_bucket", None),
            now=time.monotonic(),
            burst=RATE_BURST,
            per_second=RATE_PER_SECOND,
        )
        return allowed

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("action"), str):
            await self._error("bad_request")
            return
        try:
            outcome = await in_thread(self._act)(content)
        except UNAVAILABLE as error:
            logger.warning("room action failed: %s unavailable", type(error).__name__)
            outcome = "unavailable"
        if outcome:
            await self._error(outcome)

    def _act(self, content: dict) -> str:
        """Run one action in a worker thread; return an error code or ''."""
        participant = (
            Participant.objects.select_related("meeting", "meeting__host")
            .filter(pk=self.participant_pk)
            .first()
        )
        if participant is None:
            return "not_allowed"
        # every room action also checks the licence's time limit, so that it holds without a
        # Celery worker as well
        if services_live.enforce_time_limit(meeting=participant.meeting) == "ended":
            return ""
        action = content["action"]
        target = content.get("participant")
        try:
            if action == "ping":
                pass
            elif action == "admit":
                services_live.admit_participants(actor=participant, participant_pks=[target])
            elif action == "admit_all":
                services_live.admit_participants(actor=participant)
            elif action == "decline":
                services_live.decline_participant(actor=participant, participant_pk=target)
            elif action == "remove":
                services_live.remove_participant(actor=participant, participant_pk=target)
            elif action in ("lock", "unlock"):
                services_live.set_meeting_locked(actor=participant, locked=action == "lock")
            elif action == "end":
                services_live.end_meeting_by_host(actor=participant)
            elif action == "mute_all":
                services_live.mute_everyone(actor=participant)
            elif action == "media_state":
                services_live.announce_media_state(
                    participant=participant,
                    audio=content.get("audio") is True,
                    video=content.get("video") is True,
                    screen=content.get("screen") is True,
                )
            elif action == "chat":
                services_live.send_chat_message(
                    sender=participant,
                    text=str(content.get("text", "")),
                    recipient_pk=content.get("to"),
                )
            else:
                return "bad_request"
        except services_live.ChatRefused as refusal:
            return refusal.code  # the meeting's chat setting: off, or to the hosts only
        except services_live.NotAllowed:
            return "not_allowed"
        except services_live.TooFast:
            return "slow_down"
        except (services_live.InvalidAction, TypeError, ValueError):
            return "bad_request"
        return ""

    # --- from the channel layer -----------------------------------------------------------
    async def room_event(self, message: dict) -> None:
        if not getattr(self, "accepted", False):  # a handshake given up under load
            return
        payload = dict(message.get("payload") or {})
        participant_ids = payload.pop("participant_ids", None)
        payload.pop("audience", None)
        if participant_ids is not None and not _listed(participant_ids, self.participant_pk):
            return
        event = message["event"]
        if event == "people":
            self._queue_people(payload)
            return
        if event == "presence":
            if payload["participant"] != self.participant_pk:  # a host's own socket: no news
                self._pending_presence[payload["participant"]] = bool(payload["connected"])
                self._schedule_flush()
            return
        if participant_ids is not None and event == "admitted":
            # From now on this browser hears the room, no longer the waiting room (in turn:
            # "admit all" switches a thousand sockets at once). The socket joins the room's
            # group *before* the browser hears "admitted": whatever the room says after the
            # browser knows it is in reaches it (joined after, a lock or a message sent in
            # between was lost).
            async with _handshake_turn():
                await self._join(live.meeting_group(self.meeting_pk))
                await self.send_json({"event": event, "payload": payload})
                await self._leave(live.waiting_group(self.meeting_pk))
            return
        await self.send_json({"event": event, "payload": payload})
        if event == "ended" or (participant_ids is not None and event in ("removed", "declined")):
            await self.close()

    # --- batched participant lists ---------------------------------------------------------
    def _queue_people(self, payload: dict) -> None:
        version = payload["version"]
        shown = people.for_audience(payload, host=self.is_host)
        for item in shown["entries"]:
            known = self._pending_people.get(item["id"])
            if known is None or known["v"] < version:
                self._pending_people[item["id"]] = {**item, "v": version}
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Send what changed at once if nothing was sent for a while, else at the next slot."""
        if self._flush is not None:
            return
        delay = max(0.0, self._last_flush + PEOPLE_FLUSH_SECONDS - time.monotonic())
        self._flush = asyncio.create_task(self._send_people(delay))

    async def _send_people(self, delay: float) -> None:
        await asyncio.sleep(delay)  # what arrives meanwhile goes into the same message
        self._flush = None
        self._last_flush = time.monotonic()
        entries, presence_changes = list(self._pending_people.values()), self._pending_presence
        self._pending_people, self._pending_presence = {}, {}
        if not entries and not presence_changes:
            return
        payload: dict[str, Any] = {"entries": entries}
        if presence_changes:
            payload["presence"] = {str(pk): up for pk, up in presence_changes.items()}
        with contextlib.suppress(Exception):  # the socket closed meanwhile
            await self.send_json({"event": "people", "payload": payload})

    # --- helpers --------------------------------------------------------------------------
    async def _send_state(self, snapshot: dict, people_json: str | None) -> None:
        """The first message, with the room's list as encoded once per version
        (:func:`people.room_snapshot_json`) spliced in."""
        payload = await self.encode_json(snapshot)
        if people_json is not None:
            payload = f'{payload[:-1]}, "people": {people_json}}}'
        await self.send(text_data=f'{{"event": "state", "payload": {payload}}}')

    def _identify(self) -> tuple[Participant, dict, str | None] | None:
        participant = self._find_participant()
        if participant is None or not participant.holds_a_seat:
            return None
        meeting = self._meeting = participant.meeting
        if meeting.status == Meeting.Status.ENDED:
            return None
        snapshot: dict[str, Any] = {"state": participant.state, "locked": meeting.locked}
        people_json = None
        if participant.is_admitted:
            hosting = participant.is_host
            if hosting:
                snapshot["people"] = people.for_audience(
                    people.snapshot(meeting.pk), host=True, snapshot=True
                )
                in_room = [
                    item["id"]
                    for item in snapshot["people"]["entries"]
                    if item["state"] == Participant.State.ADMITTED and item["id"] != participant.pk
                ]
                present = presence.connected(in_room)
                snapshot["dropped"] = [pk for pk in in_room if pk not in present]
            else:
                people_json = people.room_snapshot_json(meeting.pk)
            after = self._chat_after()
            if after is not None:
                snapshot["chat"] = [
                    message.as_event()
                    for message in selectors_live.chat_since(participant=participant, after=after)[
                        -CHAT_REPLAY_MAX:
                    ]
                ]
        return participant, snapshot, people_json

    def _find_participant(self) -> Participant | None:
        """This browser's participant row with its meeting and host, by session (account or
        guest key): one query once the process knows the meeting's key (its meeting ID never
        changes), as after a restart's first socket."""
        meeting_ref = self.scope["url_route"]["kwargs"]["meeting_id"]
        meeting_pk = _meeting_pks.get(meeting_ref)
        if meeting_pk is None:
            meeting_pk = (
                Meeting.objects.filter(meeting_id=meeting_ref).values_list("pk", flat=True).first()
            )
            if meeting_pk is None:
                return None
            if len(_meeting_pks) > 10_000:
                _meeting_pks.clear()
            _meeting_pks[meeting_ref] = meeting_pk
        rows = Participant.objects.select_related("meeting", "meeting__host").filter(
            meeting_id=meeting_pk
        )
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            return rows.filter(user=user).first()
        session = self.scope.get("session")
        guest_key = (
            session.get(selectors_live.guest_session_key_for(meeting_pk)) if session else None
        )
        if not guest_key:
            return None
        return rows.filter(user__isnull=True, guest_key=guest_key).first()

    def _chat_after(self) -> int | None:
        """The last chat message a reconnecting page had shown (``?chat_after=``), if any."""
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        value = (query.get("chat_after") or [""])[0]
        return int(value) if value.isdigit() else None

    def _after_accept(self, admitted: bool) -> bool:
        """Count the socket (admitted only) and check the time limit; return whether the
        participant came back (their only socket), which the hosts hear."""
        came_back = False
        if admitted:
            self.counted = True
            came_back = presence.socket_opened(self.participant_pk)
        self._check_time_limit()
        return came_back

    def _uncount_socket(self) -> bool:
        """Return whether the participant dropped: no socket left, still in the room (not
        left or removed)."""
        if not presence.socket_closed(self.participant_pk):
            return False
        return Participant.objects.filter(
            pk=self.participant_pk, state=Participant.State.ADMITTED
        ).exists()

    async def _announce_presence(self, *, connected: bool) -> None:
        """Tell the hosts from this loop (not a database thread waiting on Redis)."""
        await self.channel_layer.group_send(
            live.hosts_group(self.meeting_pk),
            {
                "type": "room.event",
                "event": "presence",
                "payload": {"participant": self.participant_pk, "connected": connected},
            },
        )

    def _check_time_limit(self) -> None:
        """Enforce the licence's time limit, reading the limit at most once a
        ``DEADLINE_KNOWN_SECONDS`` per meeting and process (not once per socket)."""
        meeting = getattr(self, "_meeting", None)  # as read a moment ago by _identify
        if meeting is None:
            meeting = Meeting.objects.select_related("host").filter(pk=self.meeting_pk).first()
        if meeting is None or meeting.status != Meeting.Status.RUNNING:
            return
        deadline = _known_deadline(meeting)
        warn_from = datetime.timedelta(minutes=services_live.TIME_LIMIT_WARNING_MINUTES)
        if deadline is not None and timezone.now() >= deadline - warn_from:
            services_live.enforce_time_limit(meeting=meeting)

    def _groups_for(self, participant: Participant) -> list[str]:
        meeting_pk = participant.meeting_id
        groups = [live.participant_group(meeting_pk, participant.pk)]
        if participant.is_admitted:
            groups.append(live.meeting_group(meeting_pk))
            if participant.is_host:
                groups.append(live.hosts_group(meeting_pk))
        else:
            groups.append(live.waiting_group(meeting_pk))
        return groups

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def _leave(self, group: str) -> None:
        if group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.remove(group)

    async def _error(self, code: str) -> None:
        await self.send_json({"event": "error", "payload": {"code": code}})


def _known_deadline(meeting: Meeting) -> datetime.datetime | None:
    """The meeting's time limit as this process last read it (at most
    ``DEADLINE_KNOWN_SECONDS`` ago; a new start or host reads it again)."""
    key = (meeting.pk, meeting.started_at, meeting.host_id)
    moment = time.monotonic()
    known = _deadlines.get(key)
    if known is not None and moment - known[0] < DEADLINE_KNOWN_SECONDS:
        return known[1]
    if len(_deadlines) > 10_000:  # one entry per meeting seen: forget the old ones
        _deadlines.clear()
    deadline = services_live.time_limit_deadline(meeting=meeting)
    _deadlines[key] = (moment, deadline)
    return deadline


def _listed(participant_ids: list[int], participant_pk: int | None) -> bool:
    """Whether ``participant_pk`` is among the ids (sorted when long: "admit all" of 1,000
    reaches 1,000 sockets, each looks itself up in the same list)."""
    if len(participant_ids) <= 8:
        return participant_pk in participant_ids
    index = bisect.bisect_left(participant_ids, participant_pk)
    return index < len(participant_ids) and participant_ids[index] == participant_pk

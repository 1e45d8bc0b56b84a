"""The Janus backend: audio, video and screen sharing on the institution's own Janus servers.

The portal stays the only gatekeeper (docs/ARCHITECTURE.md, backends):

- Janus accepts a request only with the API secret (the portal) or a token the portal added
  through the Admin API. A participant's token is added when the portal hands out their media
  credentials (admitted participants only) and is also the only entry in the room's
  ``allowed`` list that lets them join: Janus itself refuses anyone else.
- Rooms are created with the VideoRoom admin key, a room secret and ``lock_record``: only the
  portal may create, record, kick or destroy. None of these secrets ever reaches a browser;
  they derive from ``JANUS_ROOM_KEY`` so that no process has to store them.
- Remove revokes the token, takes it off the room's list and kicks the participant's feed.

Room placement: a meeting's room goes to the healthy server with the fewest open rooms and
stays there (:class:`meetings.backends.models.JanusRoom`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import shutil
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.timezone import now

from meetings.backends.base import (
    BackendUnavailable,
    ConferencingBackend,
    RecordingInfo,
    RoomInfo,
)
from meetings.backends.janus_config import derive_secret
from meetings.backends.models import JanusRoom
from meetings.scheduling.models import Meeting

if TYPE_CHECKING:  # a backend is handed participants; it never queries the live room
    from meetings.live.models import Participant

logger = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
HEALTH_CACHE_SECONDS = 5
MAX_PUBLISHERS = 50


class JanusError(BackendUnavailable):
    """Janus refused a request or did not answer."""


@dataclass(frozen=True)
class JanusServer:
    api: str
    admin: str
    public: str

    @property
    def name(self) -> str:
        return self.api


def configured_servers() -> list[JanusServer]:
    return [JanusServer(**server) for server in settings.JANUS_SERVERS]


def _derive(purpose: str, value: object) -> str:
    return derive_secret(settings.JANUS_ROOM_KEY, purpose, value)


def room_secret(room_id: int) -> str:
    return _derive("room-secret", room_id)


def room_admin_key() -> str:
    """The VideoRoom plugin's ``admin_key`` (written into its configuration by the portal)."""
    return _derive("videoroom-admin-key", "")


def participant_token(*, meeting: Meeting, participant: Participant) -> str:
    """The participant's Janus token: stable while they stay admitted, so that a browser that
    reconnects after a network drop needs nothing new; revoked on remove, leave and end."""
    return _derive("token", f"{meeting.pk}:{participant.pk}")[:40]


def turn_credentials(*, subject: str) -> list[dict[str, Any]]:
    """Time-limited TURN credentials (coturn ``use-auth-secret``: the REST API scheme).

    The user name is the expiry time and a reference without personal data; the password is
    the HMAC-SHA1 of it under the shared secret, so coturn checks it without asking us.
    """
    if not settings.TURN_URLS or not settings.TURN_SECRET:
        return []
    expires = int(time.time()) + settings.TURN_CREDENTIAL_TTL_SECONDS
    username = f"{expires}:{subject}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return [
        {
            "urls": list(settings.TURN_URLS),
            "username": username,
            "credential": base64.b64encode(digest).decode(),
        }
    ]


# --- the wire -----------------------------------------------------------------------------------
def _post(url: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
    payload = {**body, "transaction": secrets.token_hex(8)}
    request = urllib.request.Request(  # noqa: S310 (the configured Janus URL, http or https)
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=timeout or settings.JANUS_TIMEOUT_SECONDS
        ) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError) as error:
        raise JanusError(f"no answer from Janus: {type(error).__name__}") from error
    if answer.get("janus") == "error":
        raise JanusError(f"Janus: {answer.get('error', {}).get('reason', 'error')}")
    return answer


class JanusClient:
    """The portal's side of one Janus server: VideoRoom requests with the API secret, token
    requests with the admin secret."""

    def __init__(self, server: JanusServer) -> None:
        self.server = server

    def info(self, *, timeout: float = 1.0) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(  # noqa: S310
                f"{self.server.api}/info", timeout=timeout
            ) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:
            raise JanusError(f"no answer from Janus: {type(error).__name__}") from error

    def admin(self, request: str, **body: Any) -> dict[str, Any]:
        return _post(
            self.server.admin,
            {"janus": request, "admin_secret": settings.JANUS_ADMIN_SECRET, **body},
        )

    def add_token(self, token: str) -> None:
        self.admin("add_token", token=token, plugins=[PLUGIN])

    def remove_token(self, token: str) -> None:
        """Forget a token; one Janus never had (never handed out) counts as removed."""
        try:
            self.admin("remove_token", token=token)
        except JanusError as error:
            if "error removing token" not in str(error).lower():  # Janus' answer (490)
                raise

    def videoroom(self, body: dict[str, Any]) -> dict[str, Any]:
        """One synchronous VideoRoom request on a short-lived session of the portal."""
        secret = {"apisecret": settings.JANUS_API_SECRET}
        session = _post(self.server.api, {"janus": "create", **secret})["data"]["id"]
        try:
            handle = _post(
                f"{self.server.api}/{session}", {"janus": "attach", "plugin": PLUGIN, **secret}
            )["data"]["id"]
            answer = _post(
                f"{self.server.api}/{session}/{handle}",
                {"janus": "message", "body": body, **secret},
            )
        finally:
            with contextlib.suppress(JanusError):  # else the session times out on its own
                _post(f"{self.server.api}/{session}", {"janus": "destroy", **secret})
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(f"VideoRoom {data['error_code']}: {data.get('error', '')}")
        return data


def healthy(server: JanusServer) -> bool:
    """Whether the server answers (remembered for a few seconds in the shared cache)."""
    key = f"janus:healthy:{hashlib.sha256(server.name.encode()).hexdigest()[:16]}"
    known = cache.get(key)
    if known is not None:
        return known
    try:
        JanusClient(server).info()
        answer = True
    except JanusError:
        answer = False
    cache.set(key, answer, HEALTH_CACHE_SECONDS)
    return answer


def place_room(servers: list[JanusServer]) -> JanusServer:
    """The healthy server with the fewest open rooms (ties: the order of ``JANUS_SERVERS``)."""
    load = dict(
        JanusRoom.objects.filter(destroyed_at__isnull=True)
        .values_list("server")
        .annotate(open=Count("pk", filter=Q(destroyed_at__isnull=True)))
    )
    candidates = [server for server in servers if healthy(server)]
    if not candidates:
        raise JanusError("no Janus server answers")
    return min(candidates, key=lambda server: (load.get(server.name, 0), servers.index(server)))


class JanusBackend(ConferencingBackend):
    name = "janus"
    exports_recordings = True

    # --- rooms ----------------------------------------------------------------------------------
    def _servers(self) -> dict[str, JanusServer]:
        return {server.name: server for server in configured_servers()}

    def _room(self, meeting: Meeting) -> JanusRoom | None:
        return JanusRoom.objects.filter(meeting=meeting, destroyed_at__isnull=True).first()

    def _client(self, room: JanusRoom) -> JanusClient:
        server = self._servers().get(room.server)
        if server is None:
            raise JanusError("the room's Janus server is no longer configured")
        return JanusClient(server)

    def rec_dir(self, room: JanusRoom, reference: str = "idle") -> Path:
        return Path(settings.JANUS_RECORDINGS_DIR) / str(room.room_id) / reference

    def create_room(self, *, meeting: Meeting) -> RoomInfo:
        room = self._room(meeting)
        if room is None:
            room = self._place(meeting)
        client = self._client(room)
        if not client.videoroom({"request": "exists", "room": room.room_id}).get("exists"):
            self._create_on_janus(client, room)
        return RoomInfo(room_name=str(room.room_id), has_media=True)

    def _place(self, meeting: Meeting) -> JanusRoom:
        server = place_room(configured_servers())
        try:
            with transaction.atomic():
                return JanusRoom.objects.create(
                    meeting=meeting,
                    server=server.name,
                    room_id=secrets.randbelow(2**52) + 1,
                )
        except IntegrityError:  # another process placed it first: keep theirs
            return JanusRoom.objects.get(meeting=meeting)

    def _create_on_janus(self, client: JanusClient, room: JanusRoom) -> None:
        try:
            client.videoroom(
                {
                    "request": "create",
                    "room": room.room_id,
                    "admin_key": room_admin_key(),
                    "secret": room_secret(room.room_id),
                    "is_private": True,
                    "allowed": [],  # access control on: only tokens the portal adds
                    "publishers": MAX_PUBLISHERS,
                    "bitrate": 512_000,
                    "fir_freq": 10,
                    "audiolevel_event": True,
                    "audio_active_packets": 50,
                    "audio_level_average": 40,
                    "notify_joining": True,
                    "record": False,
                    "lock_record": True,  # only the portal (with the secret) records
                    "rec_dir": str(self.rec_dir(room)),
                    "permanent": False,
                }
            )
        except JanusError as error:
            if "427" not in str(error):  # 427: the room already exists (a race): fine
                raise
        logger.info("janus room created meeting=%s", room.meeting_id)

    def end_room(self, *, meeting: Meeting) -> None:
        room = self._room(meeting)
        if room is None:
            return
        try:
            self._client(room).videoroom(
                {"request": "destroy", "room": room.room_id, "secret": room_secret(room.room_id)}
            )
        except JanusError as error:
            if "426" not in str(error):  # 426: no such room (already gone)
                raise
        JanusRoom.objects.filter(pk=room.pk).update(destroyed_at=now())
        logger.info("janus room destroyed meeting=%s", meeting.pk)

    def room_exists(self, *, meeting: Meeting) -> bool:
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None:
            return False
        answer = self._client(room).videoroom({"request": "exists", "room": room.room_id})
        return bool(answer.get("exists"))

    # --- participants ---------------------------------------------------------------------------
    def join_url(self, *, meeting: Meeting, participant: Participant) -> str | None:
        return None  # media run inside the room page (media_session)

    def media_session(self, *, meeting: Meeting, participant: Participant) -> dict[str, Any]:
        self.create_room(meeting=meeting)
        room = self._room(meeting)
        assert room is not None
        client = self._client(room)
        token = participant_token(meeting=meeting, participant=participant)
        client.add_token(token)
        client.videoroom(
            {
                "request": "allowed",
                "room": room.room_id,
                "secret": room_secret(room.room_id),
                "action": "add",
                "allowed": [token],
            }
        )
        return {
            "server": client.server.public,
            "token": token,
            "room": room.room_id,
            "feed": participant.pk,
            "ice_servers": turn_credentials(subject=f"p{participant.pk}"),
            "ice_transport_policy": settings.MEDIA_ICE_TRANSPORT_POLICY,
        }

    def revoke_media(self, *, meeting: Meeting, participant: Participant) -> None:
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None:
            return
        client = self._client(room)
        token = participant_token(meeting=meeting, participant=participant)
        client.remove_token(token)  # every later request of that browser is refused
        if room.destroyed_at is not None:
            return
        secret = room_secret(room.room_id)
        for body in (
            {"request": "allowed", "action": "remove", "allowed": [token]},
            {"request": "kick", "id": participant.pk},  # their media stop for everyone
        ):
            try:
                client.videoroom({**body, "room": room.room_id, "secret": secret})
            except JanusError as error:
                if not any(code in str(error) for code in ("426", "428")):  # room/feed gone
                    raise
        logger.info("janus media revoked meeting=%s participant=%s", meeting.pk, participant.pk)

    def mute_all(self, *, meeting: Meeting, except_feeds: list[int]) -> int:
        """Mute every publisher's audio on Janus itself (``moderate``); returns how many."""
        room = self._room(meeting)
        if room is None:
            return 0
        client = self._client(room)
        secret = room_secret(room.room_id)
        listing = client.videoroom({"request": "listparticipants", "room": room.room_id})
        muted = 0
        for feed in listing.get("participants", []):
            if not feed.get("publisher") or feed.get("id") in except_feeds:
                continue
            for stream in feed.get("streams", []) or []:
                if stream.get("type") != "audio":
                    continue
                client.videoroom(
                    {
                        "request": "moderate",
                        "room": room.room_id,
                        "secret": secret,
                        "id": feed["id"],
                        "mid": stream["mid"],
                        "mute": True,
                    }
                )
                muted += 1
        return muted

    # --- recording ------------------------------------------------------------------------------
    def start_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        room = self._room(meeting)
        if room is None:
            raise JanusError("the meeting has no media room")
        client = self._client(room)
        secret = room_secret(room.room_id)
        folder = self.rec_dir(room, reference or "session")
        folder.mkdir(parents=True, exist_ok=True)
        client.videoroom(
            {
                "request": "edit",
                "room": room.room_id,
                "secret": secret,
                "new_rec_dir": str(folder),
            }
        )
        client.videoroom(
            {"request": "enable_recording", "room": room.room_id, "secret": secret, "record": True}
        )
        logger.info("janus recording started meeting=%s", meeting.pk)

    def stop_recording(self, *, meeting: Meeting, reference: str = "") -> None:
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None or room.destroyed_at is not None:
            return  # a destroyed room records nothing any more
        client = self._client(room)
        try:
            client.videoroom(
                {
                    "request": "enable_recording",
                    "room": room.room_id,
                    "secret": room_secret(room.room_id),
                    "record": False,
                }
            )
        except JanusError as error:
            if "426" not in str(error):
                raise
        logger.info("janus recording stopped meeting=%s", meeting.pk)

    def list_recordings(self, *, meeting: Meeting) -> list[RecordingInfo]:
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None:
            return []
        base = Path(settings.JANUS_RECORDINGS_DIR) / str(room.room_id)
        found = []
        for folder in sorted(base.glob("*")) if base.is_dir() else []:
            files = list(folder.glob("*.mjr"))
            if not files:
                continue
            stamps = [file.stat().st_mtime for file in files]
            found.append(
                RecordingInfo(
                    backend_ref=folder.name,
                    started_at=datetime.fromtimestamp(min(stamps), tz=UTC),
                    ended_at=datetime.fromtimestamp(max(stamps), tz=UTC),
                    size_bytes=sum(file.stat().st_size for file in files),
                )
            )
        return found

    def raw_recording_files(self, *, meeting: Meeting, reference: str) -> list[Path]:
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None:
            return []
        return sorted(self.rec_dir(room, reference).glob("*.mjr"))

    def export_recording(self, *, meeting: Meeting, reference: str, into: Path) -> Path:
        from meetings.backends.janus_mix import mix_recording

        files = self.raw_recording_files(meeting=meeting, reference=reference)
        if not files:
            raise JanusError("no recorded streams")
        return mix_recording(files, into=into)

    def discard_recording(self, *, meeting: Meeting, reference: str) -> None:
        location = self.raw_recording_location(meeting=meeting, reference=reference)
        if location:
            self.discard_raw_recording(location=location)

    def raw_recording_location(self, *, meeting: Meeting, reference: str) -> str:
        """ "<room>/<session>", relative to ``JANUS_RECORDINGS_DIR`` (the folder Janus writes
        a session's per-stream files into, see :meth:`start_recording`)."""
        room = JanusRoom.objects.filter(meeting=meeting).first()
        if room is None or not reference:
            return ""
        return f"{room.room_id}/{reference}"

    def discard_raw_recording(self, *, location: str) -> None:
        base = Path(settings.JANUS_RECORDINGS_DIR).resolve()
        folder = (base / location).resolve()
        if not location or base not in folder.parents:
            raise ValueError("a raw recording lies inside JANUS_RECORDINGS_DIR")
        with contextlib.suppress(FileNotFoundError):  # already gone: deleted
            shutil.rmtree(folder)

"""Who is in the room and who is waiting, as versioned changes instead of whole lists.

A lecture of 1,000 cannot send the whole roster to every browser at every join: that is a
million entries per thousand joins. Instead every change of participants sends one ``people``
event with only the changed entries (``{"id", "name", "host", "state", "t"}``) and a version;
a browser keeps a map by id and applies an entry only if its version is newer than the one it
holds (docs/ARCHITECTURE.md, lecture scale).

Versions come from one counter per meeting in the shared cache (Redis in production), taken
*before* the rows are read: whoever gets the higher version read the database later, so the
highest version always carries the newest state, whatever order two server processes'
broadcasts arrive in. The room's first snapshot is built once per version and kept briefly in
the cache, so that 1,000 sockets reconnecting after a restart do not each read 1,000 rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache

from meetings.live import broadcast as live
from meetings.live.counters import add_then_incr
from meetings.live.models import Participant

#: How long a snapshot of one version stays in the cache: long enough for a reconnect storm.
SNAPSHOT_TTL_SECONDS = 60
#: The version counter outlives any meeting; it is renewed at every change.
VERSION_TTL_SECONDS = 7 * 24 * 3600
#: Participant states a browser may hear about: the rest (declined, removed, left) are "gone".
SHOWN_STATES = (Participant.State.WAITING, Participant.State.ADMITTED)
#: Encoded room snapshots a process keeps (one per meeting and version; the newest matter).
ENCODED_KEPT = 32
_encoded_room: dict[tuple[int, int], str] = {}


def _version_key(meeting_pk: int) -> str:
    return f"live:people-version:{meeting_pk}"


def next_version(meeting_pk: int) -> int:
    """A new version for a change of ``meeting_pk``'s participants (higher than all before).

    A counter that is gone (expired, Redis restarted empty) starts again from the current time
    in milliseconds, which is above every earlier version unless the meeting changed more than
    a thousand times a second. One round trip to Redis (``meetings/live/counters.py``).
    """
    return add_then_incr(_version_key(meeting_pk), int(time.time() * 1000), VERSION_TTL_SECONDS)


def current_version(meeting_pk: int) -> int:
    value = cache.get(_version_key(meeting_pk))
    return int(value) if value is not None else next_version(meeting_pk)


def entry(participant: Participant) -> dict[str, Any]:
    """What a browser is told about one participant: ids, chosen name, host flag, state and
    (to order the waiting list) when they asked to join, in ms."""
    state = participant.state if participant.state in SHOWN_STATES else "gone"
    return {
        **participant.as_roster_entry(),
        "state": state,
        "t": int(participant.requested_at.timestamp() * 1000),
    }


FIELDS = ("pk", "display_name", "is_host", "state", "requested_at")


def entries(meeting_pk: int, participant_pks: Iterable[int]) -> list[dict[str, Any]]:
    """The current entries of these participants (deleted rows are "gone")."""
    wanted = sorted(set(participant_pks))
    rows = {
        row.pk: entry(row)
        for row in Participant.objects.filter(meeting_id=meeting_pk, pk__in=wanted).only(*FIELDS)
    }
    return [rows.get(pk, {"id": pk, "state": "gone"}) for pk in wanted]


def snapshot(meeting_pk: int, *, version: int | None = None) -> dict[str, Any]:
    """Everyone waiting or in the room with the version it holds for (the current one unless
    given): one query per version, shared through the cache by every socket of every server
    process."""
    version = current_version(meeting_pk) if version is None else version
    key = f"live:people:{meeting_pk}:{version}"
    cached = cache.get(key)
    if cached is None:
        rows = (
            Participant.objects.filter(meeting_id=meeting_pk, state__in=SHOWN_STATES)
            .order_by("pk")
            .only(*FIELDS)
        )
        cached = {"version": version, "entries": [entry(row) for row in rows]}
        cache.set(key, cached, SNAPSHOT_TTL_SECONDS)
    return cached


def for_audience(people: dict[str, Any], *, host: bool, snapshot: bool = False) -> dict[str, Any]:
    """What one browser may see: hosts everything, others the room only. A waiting person's
    name never reaches a participant: in a change it becomes "gone" (harmless, and needed when
    someone leaves the room), in a snapshot it is left out."""
    if host:
        return people
    admitted = Participant.State.ADMITTED
    if snapshot:
        shown = [item for item in people["entries"] if item["state"] == admitted]
    else:
        shown = [
            item if item["state"] == admitted else {"id": item["id"], "state": "gone"}
            for item in people["entries"]
        ]
    return {**people, "entries": shown}


def room_snapshot_json(meeting_pk: int) -> str:
    """The room's snapshot as a participant who does not host sees it, JSON-encoded once per
    version and server process: the sockets of a reconnect storm all send the same text, so
    it is read from the cache, filtered and encoded once, not a thousand times."""
    version = current_version(meeting_pk)
    key = (meeting_pk, version)
    text = _encoded_room.get(key)
    if text is None:
        shown = for_audience(snapshot(meeting_pk, version=version), host=False, snapshot=True)
        text = json.dumps(shown)
        if len(_encoded_room) >= ENCODED_KEPT:
            _encoded_room.clear()
        _encoded_room[key] = text
    return text


def announce(meeting_pk: int, participant_pks: Iterable[int]) -> None:
    """Tell the room (after a commit) what became of these participants."""
    pks = list(participant_pks)
    if not pks:
        return
    version = next_version(meeting_pk)  # before the read: see the module's docstring
    live.broadcast_to_meeting(
        meeting_pk, "people", version=version, entries=entries(meeting_pk, pks)
    )

"""The deletion journal: every deletion and anonymisation, appended to files outside the
database, so that a restored backup cannot bring erased data back for good (docs/BACKUP.md).

A database backup taken before a deletion holds the deleted rows, and its deletion log ends
before the deletion: after a restore the rows are back with no trace of having gone. The
journal lives where the operator backs it up separately and more often than the database
(``RETENTION_JOURNAL_DIR``), so that after a restore ``manage.py reapply_deletions`` (and each
nightly purge run anyway) deletes every restored item it names once more.

What it holds, one JSON line per batch: the time, the category, the action and one pseudonymous
reference per item, the first 16 bytes of HMAC-SHA256 over the item's key and a fingerprint of
the row ("meetings.recording:17|2026-03-01T10:00:00+00:00"). The key of the HMAC derives from
``RETENTION_REFERENCE_SECRET`` (else ``SECRET_KEY``): without it the journal names nothing. The
fingerprint (the row's creation time where it has one) keeps a new row that reuses a primary
key after a restore (sequences are restored too) from matching an old deletion.

Files are opened for appending (``O_APPEND``; the last byte is read, to end a line a crash cut
short), each line is written under an exclusive lock and ``fsync``'d before the batch's
transaction commits: a crash after the commit never loses a journal line. A crash between
the line and the commit leaves a line for an item that was not deleted: it was expired or its
deletion was asked for, and the next reapply deletes it (the journal errs on the side of
erasure). One file per calendar month; months older than
``RETENTION_JOURNAL_KEEP_DAYS`` (longer than the oldest backup kept) are no longer read and may
be removed by the operator.

Each line also names its batch (a random identifier, ``batch``), which the batch's deletion-log
entry stores too (``DeletionLogEntry.journal_batch``, same transaction): a database that holds
the log entry holds the deletion, so a replay need not look for that batch's rows. The nightly
replay reads only what was appended after its checkpoint (``Position``, stored in the database:
a restored backup brings back its own older checkpoint, docs/BACKUP.md).
"""

from __future__ import annotations

import base64
import datetime
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from retention.keyring import HmacSha256

#: Bytes of HMAC-SHA256 kept per item: 128 bits, so that a million rows checked against a
#: million journal entries never match by chance, in half the memory of the full digest.
REFERENCE_SIZE = 16
FILE_PREFIX = "deletions-"
FILE_SUFFIX = ".jsonl"
#: Seconds a month's file must have been left alone before a replay's position moves past it.
SETTLE_SECONDS = 60


def journal_dir() -> Path:
    return Path(settings.RETENTION_JOURNAL_DIR)


def _journal_key() -> bytes:
    secret = getattr(settings, "RETENTION_REFERENCE_SECRET", "") or settings.SECRET_KEY
    return hashlib.sha256(b"retention-deletion-journal:" + secret.encode()).digest()


def fingerprint(value: Any) -> str:
    """A stable text of a fingerprint field's value, the same before a dump and after a
    restore (times in UTC)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    return str(value)


class ReferenceMaker:
    """Computes journal references with one HMAC key (a million rows: one key derivation)."""

    def __init__(self) -> None:
        self._digest = HmacSha256(_journal_key()).digest

    def __call__(self, label: str, pk: Any, fingerprint_value: Any) -> bytes:
        message = f"{label}:{pk}|{fingerprint(fingerprint_value)}".encode()
        return self._digest(message)[:REFERENCE_SIZE]


def references(label: str, rows: Iterable[tuple[Any, Any]]) -> bytes:
    """The concatenated journal references of ``rows`` (pairs of primary key and fingerprint),
    as ``ReferenceMaker`` makes them, in one loop (a purge batch has thousands)."""
    messages = (
        # a fingerprint the database already made as text (services.FingerprintText) is used
        # as it is: ``fingerprint`` would return it unchanged
        f"{label}:{pk}|{value if value.__class__ is str else fingerprint(value)}".encode()
        for pk, value in rows
    )
    return HmacSha256(_journal_key()).digests(messages, REFERENCE_SIZE)


def append(
    *, category: str, action: str, refs: bytes, at: datetime.datetime, batch: str = ""
) -> None:
    """Append one batch to this month's journal file and ``fsync`` it before returning.

    ``batch`` is the identifier the batch's deletion-log entry stores (``journal_batch``).

    Raises when the journal cannot be written: a deletion that cannot be journaled is not
    done (the caller's transaction rolls back), else a restore could resurrect it.
    """
    if not refs:
        return
    directory = journal_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{FILE_PREFIX}{at:%Y-%m}{FILE_SUFFIX}"
    data = {
        "at": at.astimezone(datetime.UTC).isoformat(),
        "category": category,
        "action": action,
        **({"batch": batch} if batch else {}),
        "references": base64.b64encode(refs).decode("ascii"),
    }
    line = (json.dumps(data, separators=(",", ":")) + "\n").encode()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            end = os.lseek(descriptor, 0, os.SEEK_END)
            if end and os.pread(descriptor, 1, end - 1) != b"\n":
                # a line cut short by a crash: end it, else it would swallow this one
                line = b"\n" + line
            written = 0
            while written < len(line):
                written += os.write(descriptor, line[written:])
            os.fsync(descriptor)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@dataclass
class JournalEntry:
    at: datetime.datetime
    category: str
    action: str
    refs: bytes
    batch: str = ""

    def references(self) -> Iterator[bytes]:
        for i in range(0, len(self.refs), REFERENCE_SIZE):
            yield self.refs[i : i + REFERENCE_SIZE]


def files(*, since: datetime.datetime | None = None) -> list[Path]:
    """The journal files, oldest first; with ``since``, only months that may hold later lines."""
    directory = journal_dir()
    if not directory.is_dir():
        return []
    found = sorted(
        path
        for path in directory.iterdir()
        if path.name.startswith(FILE_PREFIX) and path.name.endswith(FILE_SUFFIX)
    )
    if since is None:
        return found
    first_month = f"{FILE_PREFIX}{since:%Y-%m}{FILE_SUFFIX}"
    return [path for path in found if path.name >= first_month]


def _parse(raw: bytes) -> JournalEntry | None:
    try:
        data = json.loads(raw)
        return JournalEntry(
            at=datetime.datetime.fromisoformat(data["at"]),
            category=data["category"],
            action=data["action"],
            refs=base64.b64decode(data["references"], validate=True),
            batch=str(data.get("batch", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def read(*, since: datetime.datetime | None = None) -> Iterator[JournalEntry]:
    """Every entry of the journal files, oldest first. A line cut short by a crash while it
    was written (the last one) is skipped: its batch was not committed."""
    for path in files(since=since):
        with path.open("rb") as handle:
            for raw in handle:
                entry = _parse(raw)
                if entry is None or (since is not None and entry.at < since):
                    continue
                yield entry


@dataclass(frozen=True)
class Position:
    """A place in the journal: the file's name and the bytes of it already read (always the
    end of a whole line). The start of the journal is ``Position("", 0)``."""

    file: str = ""
    offset: int = 0


def read_after(
    position: Position, *, category: str, since: datetime.datetime | None = None
) -> tuple[list[JournalEntry], Position]:
    """The entries of ``category`` appended after ``position``, and the position after the
    last whole line read (where the next call starts).

    Only whole lines are read: a line being appended while this reads (no newline yet) is
    left for the next call. A file shorter than ``position`` (a journal replaced by an older
    copy, which docs/BACKUP.md forbids) is read from its start: the journal errs on the side
    of erasure. Lines of other categories are skipped without decoding their references."""
    entries: list[JournalEntry] = []
    end = position
    marker = json.dumps({"category": category}, separators=(",", ":"))[1:-1].encode()
    # The position moves on to a later month's file only once the earlier file has been quiet
    # for SETTLE_SECONDS: a batch that took its time just before midnight may still append
    # to the earlier file after another one wrote the first line of the new month.
    settled = True
    for path in files(since=since):
        if path.name < position.file:
            continue
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            start = position.offset if path.name == position.file else 0
            if start > status.st_size:
                start = 0
            handle.seek(start)
            offset = start
            for raw in handle:
                if not raw.endswith(b"\n"):
                    return entries, end  # being appended: the next call reads it whole
                offset += len(raw)
                if settled:
                    end = Position(path.name, offset)
                if marker not in raw:
                    continue
                entry = _parse(raw)
                if entry is None or entry.category != category:
                    continue
                if since is None or entry.at >= since:
                    entries.append(entry)
            settled = settled and time.time() - status.st_mtime >= SETTLE_SECONDS
    return entries, end


def references_by_category(
    *, since: datetime.datetime | None = None, categories: Iterable[str] | None = None
) -> dict[tuple[str, str], set[bytes]]:
    """The journal's references per (category, action): what must stay deleted."""
    wanted = set(categories) if categories is not None else None
    found: dict[tuple[str, str], set[bytes]] = {}
    for entry in read(since=since):
        if wanted is not None and entry.category not in wanted:
            continue
        found.setdefault((entry.category, entry.action), set()).update(entry.references())
    return found


def keep_since(at: datetime.datetime) -> datetime.datetime:
    """The oldest moment whose journal lines are still read (``RETENTION_JOURNAL_KEEP_DAYS``)."""
    return at - datetime.timedelta(days=settings.RETENTION_JOURNAL_KEEP_DAYS)

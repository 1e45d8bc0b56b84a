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

Files are opened for appending only (``O_APPEND``), each line is written under an exclusive
lock and ``fsync``'d before the batch's transaction commits: a crash after the commit never
loses a journal line. A crash between the line and the commit leaves a line for an item that
was not deleted: it was expired or its deletion was asked for, and the next reapply deletes
it (the journal errs on the side of erasure). One file per calendar month; months older than
``RETENTION_JOURNAL_KEEP_DAYS`` (longer than the oldest backup kept) are no longer read and may
be removed by the operator.
"""

from __future__ import annotations

import base64
import datetime
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

#: Bytes of HMAC-SHA256 kept per item: 128 bits, so that a million rows checked against a
#: million journal entries never match by chance, in half the memory of the full digest.
REFERENCE_SIZE = 16
FILE_PREFIX = "deletions-"
FILE_SUFFIX = ".jsonl"


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
        self._key = _journal_key()

    def __call__(self, label: str, pk: Any, fingerprint_value: Any) -> bytes:
        message = f"{label}:{pk}|{fingerprint(fingerprint_value)}".encode()
        return hmac.digest(self._key, message, "sha256")[:REFERENCE_SIZE]


def references(label: str, rows: Iterable[tuple[Any, Any]]) -> bytes:
    """The concatenated journal references of ``rows`` (pairs of primary key and fingerprint)."""
    make = ReferenceMaker()
    return b"".join(make(label, pk, value) for pk, value in rows)


def append(*, category: str, action: str, refs: bytes, at: datetime.datetime) -> None:
    """Append one batch to this month's journal file and ``fsync`` it before returning.

    Raises when the journal cannot be written: a deletion that cannot be journaled is not
    done (the caller's transaction rolls back), else a restore could resurrect it.
    """
    if not refs:
        return
    directory = journal_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{FILE_PREFIX}{at:%Y-%m}{FILE_SUFFIX}"
    line = (
        json.dumps(
            {
                "at": at.astimezone(datetime.UTC).isoformat(),
                "category": category,
                "action": action,
                "references": base64.b64encode(refs).decode("ascii"),
            },
            separators=(",", ":"),
        )
        + "\n"
    ).encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
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


def read(*, since: datetime.datetime | None = None) -> Iterator[JournalEntry]:
    """Every entry of the journal files, oldest first. A line cut short by a crash while it
    was written (the last one) is skipped: its batch was not committed."""
    for path in files(since=since):
        with path.open("rb") as handle:
            for raw in handle:
                try:
                    data = json.loads(raw)
                    entry = JournalEntry(
                        at=datetime.datetime.fromisoformat(data["at"]),
                        category=data["category"],
                        action=data["action"],
                        refs=base64.b64decode(data["references"], validate=True),
                    )
                except (ValueError, KeyError, TypeError):
                    continue
                if since is not None and entry.at < since:
                    continue
                yield entry


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

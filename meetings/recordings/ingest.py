"""Checking and streaming recording files onto the institution's storage.

Files are read in chunks and never held in memory as a whole; the checksum is computed while
the file streams to storage. The content type a client claims must match the file's magic
bytes.
"""

import hashlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext_lazy as _

CHUNK_SIZE = 1024 * 1024


def _is_iso_media(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] == b"ftyp"


def _is_matroska(head: bytes) -> bool:
    return head.startswith(b"\x1a\x45\xdf\xa3")


def _is_mpeg_audio(head: bytes) -> bool:
    return head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    )


def _is_ogg(head: bytes) -> bool:
    return head.startswith(b"OggS")


def _is_wave(head: bytes) -> bool:
    return head.startswith(b"RIFF") and head[8:12] == b"WAVE"


# content type -> (file extension, magic-bytes check)
ALLOWED_CONTENT_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "video/mp4": ("mp4", _is_iso_media),
    "video/webm": ("webm", _is_matroska),
    "audio/mp4": ("m4a", _is_iso_media),
    "audio/x-m4a": ("m4a", _is_iso_media),
    "audio/webm": ("weba", _is_matroska),
    "audio/mpeg": ("mp3", _is_mpeg_audio),
    "audio/ogg": ("ogg", _is_ogg),
    "audio/wav": ("wav", _is_wave),
}


class RecordingFileRejected(ValueError):
    """The file is not acceptable; ``message`` is shown to the user (translated)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def normalise_content_type(value: str) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def check_declared_file(*, content_type: str, size: int | None) -> str:
    """Refuse a wrong type or a size over the limit before a byte is stored."""
    content_type = normalise_content_type(content_type)
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise RecordingFileRejected(
            str(_("Recordings must be MP4 or WebM video or MP4, WebM, MP3, Ogg or WAV audio.")),
            status=415,
        )
    if size is not None and size > settings.RECORDING_MAX_UPLOAD_BYTES:
        raise RecordingFileRejected(too_large_message(), status=413)
    return content_type


def too_large_message() -> str:
    limit_mib = settings.RECORDING_MAX_UPLOAD_BYTES // (1024 * 1024)
    return str(_("The recording is larger than the limit of %(limit)s MiB.") % {"limit": limit_mib})


class HashingStream(File):
    """Wraps a readable stream: yields it in chunks to storage, hashing and counting as it goes.

    The first chunk is read up front so that the magic bytes are checked before storage
    writes anything.
    """

    def __init__(self, stream: BinaryIO, *, content_type: str, name: str) -> None:
        super().__init__(stream, name=name)
        self.content_type = content_type
        self.digest = hashlib.sha256()
        self.bytes_read = 0
        self._head = self._read_chunk()
        looks_right = ALLOWED_CONTENT_TYPES[content_type][1]
        if not self._head or not looks_right(self._head[:64]):
            raise RecordingFileRejected(
                str(
                    _("The file's content does not match its type %(type)s.")
                    % {"type": content_type}
                ),
                status=415,
            )

    def _read_chunk(self) -> bytes:
        chunk = self.file.read(CHUNK_SIZE)
        self.bytes_read += len(chunk)
        if self.bytes_read > settings.RECORDING_MAX_UPLOAD_BYTES:
            raise RecordingFileRejected(too_large_message(), status=413)
        self.digest.update(chunk)
        return chunk

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        head, self._head = self._head, b""
        if head:
            yield head
        while chunk := self._read_chunk():
            yield chunk

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    @property
    def size(self) -> int:  # storage backends may ask; the true size is known only at the end
        return self.bytes_read

    def open(self, mode: str | None = None) -> "HashingStream":
        return self

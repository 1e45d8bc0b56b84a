"""How a stored recording reaches the browser after the permission check, never whole in memory.

Recordings reach 8 GiB (``RECORDING_MAX_UPLOAD_BYTES``), and an ASGI process also carries live
meetings: one download must not grow it by the file's size. Three ways, chosen per request:

- ``RECORDINGS_ACCEL_REDIRECT_PREFIX`` set (nginx in front, ``deploy/nginx/portal.conf``): the
  answer is only headers with ``X-Accel-Redirect``; nginx serves the file from its ``internal``
  location with byte ranges, HEAD and sendfile, and the ASGI process does no I/O at all.
- under ASGI without the proxy: an asynchronous iterator reads the file in chunks in a worker
  thread; the ASGI server's flow control (uvicorn waits while the socket's buffer is full)
  bounds what is held to a few chunks. Django would turn a *synchronous* iterator into a list
  under ASGI, i.e. read the whole file (``StreamingHttpResponse.__aiter__``).
- under WSGI: the same chunks from a synchronous generator.

Single byte ranges are answered with 206 (resumed downloads, seeking in a player), ranges that
start past the end with 416, and HEAD with the headers of the GET. Several ranges in one
request are answered with the whole file (RFC 9110 allows a server to ignore Range), as is a
range whose ``If-Range`` names another version of the file.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import Storage
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK_BYTES = 512 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The request asked for bytes the file does not have (answered with 416)."""


@dataclass(frozen=True)
class ByteRange:
    """Inclusive byte positions, as in ``Content-Range``."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range a ``Range`` header asks for, or None for the whole file.

    Syntax the server does not understand (other units, several ranges, garbage) means the
    whole file, as RFC 9110 section 14.2 allows; a well-formed range that lies outside the file
    raises RangeNotSatisfiable.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid range-spec: ignore the header
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def _chunks(storage: Storage, name: str, byte_range: ByteRange) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        handle.seek(byte_range.start)
        remaining = byte_range.length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


async def _async_chunks(storage: Storage, name: str, byte_range: ByteRange) -> AsyncIterator[bytes]:
    # thread_sensitive=False: file reads must not queue behind the sync views that share the
    # one thread-sensitive executor of this process
    in_thread = sync_to_async(thread_sensitive=False)
    handle = await in_thread(storage.open)(name, "rb")
    try:
        await in_thread(handle.seek)(byte_range.start)
        remaining = byte_range.length
        while remaining > 0:
            chunk = await in_thread(handle.read)(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        await in_thread(handle.close)()


def accel_redirect_location(name: str) -> str | None:
    """The internal nginx location of a stored file, or None when nginx is not configured.

    Only a file-system storage can be handed over: nginx reads the same folder
    (``MEDIA_ROOT/recordings``) through its ``internal`` location.
    """
    prefix = settings.RECORDINGS_ACCEL_REDIRECT_PREFIX
    if not prefix:
        return None
    return prefix.rstrip("/") + "/" + quote(name)


def file_response(
    request: HttpRequest,
    *,
    storage: Storage,
    name: str,
    content_type: str,
    filename: str,
    etag: str,
) -> HttpResponse:
    """Answer GET or HEAD for the stored file ``name`` (the caller has checked permission).

    Raises FileNotFoundError when the storage no longer has the file.
    """
    common = {
        "Content-Disposition": content_disposition_header(as_attachment=True, filename=filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    location = accel_redirect_location(name)
    if location is not None:
        if not storage.exists(name):
            raise FileNotFoundError(name)
        response = HttpResponse(content_type=content_type, headers=common)
        response["X-Accel-Redirect"] = location
        return response

    size = storage.size(name)
    quoted_etag = f'"{etag}"'
    common["Accept-Ranges"] = "bytes"
    common["ETag"] = quoted_etag
    byte_range = None
    range_header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if range_header and (if_range is None or if_range.strip() == quoted_etag):
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable:
            return HttpResponse(
                status=416,
                headers={**common, "Content-Range": f"bytes */{size}"},
                content_type="text/plain",
            )
    status = 200
    if byte_range is None:
        byte_range = ByteRange(0, size - 1)
    else:
        status = 206
        common["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    common["Content-Length"] = str(max(byte_range.length, 0))

    if request.method == "HEAD" or size == 0:
        return HttpResponse(status=status, content_type=content_type, headers=common)
    chunks = (
        _async_chunks(storage, name, byte_range)
        if isinstance(request, ASGIRequest)
        else _chunks(storage, name, byte_range)
    )
    return StreamingHttpResponse(chunks, status=status, content_type=content_type, headers=common)

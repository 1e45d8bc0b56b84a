"""Recording downloads: byte ranges (resumable), HEAD, bad ranges, ASGI streaming, nginx hand-off.

The memory of a real ASGI process during a large download is a benchmark
(benchmarks/recording_download.py), not a test.
"""

import os

import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.test import AsyncClient

from meetings.recordings.delivery import CHUNK_BYTES, ByteRange, RangeNotSatisfiable, parse_range
from tests.factories import make_meeting, make_recording, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]

CONTENT = os.urandom(3 * CHUNK_BYTES + 1234)  # several chunks and a partial one


@pytest.fixture
def recording():
    recording = make_recording(make_meeting(make_user("host")))
    recording.file.storage.delete(recording.file.name)
    recording.file.storage.save(recording.file.name, ContentFile(CONTENT))
    recording.size = len(CONTENT)
    recording.sha256 = "ab" * 32
    recording.save()
    return recording


@pytest.fixture
def host_client(client, recording):
    client.force_login(recording.meeting.host)
    return client


def url(recording):
    return f"/meetings/recordings/{recording.pk}/download/"


def body(response):
    return b"".join(response.streaming_content)


def test_it_sends_the_whole_file_with_range_support_announced(host_client, recording):
    response = host_client.get(url(recording))
    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["ETag"] == f'"{"ab" * 32}"'
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_it_answers_a_byte_range_with_206(host_client, recording):
    response = host_client.get(url(recording), headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert body(response) == CONTENT[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert response["Content-Length"] == "100"


def test_it_answers_a_suffix_range_with_the_last_bytes(host_client, recording):
    response = host_client.get(url(recording), headers={"Range": "bytes=-10"})
    assert response.status_code == 206
    assert body(response) == CONTENT[-10:]


def test_a_download_resumes_where_it_broke_off(host_client, recording):
    first = host_client.get(url(recording))
    received = b""
    for chunk in first.streaming_content:  # the connection breaks after the first chunk
        received += chunk
        break
    assert 0 < len(received) < len(CONTENT)

    rest = host_client.get(
        url(recording),
        headers={"Range": f"bytes={len(received)}-", "If-Range": first["ETag"]},
    )
    assert rest.status_code == 206
    assert received + body(rest) == CONTENT


def test_a_range_for_another_version_of_the_file_gets_the_whole_file(host_client, recording):
    response = host_client.get(
        url(recording), headers={"Range": "bytes=100-", "If-Range": '"another-version"'}
    )
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_a_range_past_the_end_is_refused_with_416(host_client, recording):
    response = host_client.get(url(recording), headers={"Range": f"bytes={len(CONTENT)}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-9", "lines=1-2", "bytes=9-3", "bytes=x-", "bytes=-"]
)
def test_a_range_it_does_not_understand_gets_the_whole_file(host_client, recording, header):
    response = host_client.get(url(recording), headers={"Range": header})
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_head_answers_the_headers_of_get_without_the_body(host_client, recording):
    response = host_client.head(url(recording))
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"

    ranged = host_client.head(url(recording), headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged["Content-Length"] == "10"


def test_it_rejects_post(host_client, recording):
    assert host_client.post(url(recording)).status_code == 405


def test_head_by_a_stranger_is_404(client, recording):
    client.force_login(make_user("stranger"))
    assert client.head(url(recording)).status_code == 404


def test_a_file_missing_from_storage_is_404(host_client, recording):
    recording.file.storage.delete(recording.file.name)
    assert host_client.get(url(recording)).status_code == 404


def test_under_asgi_the_file_is_streamed_by_an_async_iterator(recording):
    """A synchronous iterator would be read whole into a list by Django's ASGI handler."""
    client = AsyncClient()
    client.force_login(recording.meeting.host)

    async def download(headers):
        response = await client.get(url(recording), headers=headers)
        chunks = [chunk async for chunk in response.streaming_content]
        return response, chunks

    response, chunks = async_to_sync(download)({})
    assert response.is_async
    assert b"".join(chunks) == CONTENT
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES

    ranged, chunks = async_to_sync(download)({"Range": "bytes=5-"})
    assert ranged.status_code == 206
    assert b"".join(chunks) == CONTENT[5:]


def test_with_nginx_configured_the_file_is_handed_over_after_the_check(
    host_client, recording, settings
):
    settings.RECORDINGS_ACCEL_REDIRECT_PREFIX = "/_protected_recordings/"
    response = host_client.get(url(recording), headers={"Range": "bytes=0-9"})
    assert response.status_code == 200  # nginx answers the range itself
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected_recordings/{recording.file.name}"
    assert response["Content-Type"] == recording.content_type
    assert response["Content-Disposition"].startswith("attachment;")


def test_with_nginx_configured_a_stranger_gets_no_hand_off(client, recording, settings):
    settings.RECORDINGS_ACCEL_REDIRECT_PREFIX = "/_protected_recordings/"
    client.force_login(make_user("stranger"))
    response = client.get(url(recording))
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_the_hand_off_location_quotes_the_stored_name(settings):
    from meetings.recordings.delivery import accel_redirect_location

    settings.RECORDINGS_ACCEL_REDIRECT_PREFIX = "/_r"
    assert accel_redirect_location("2026/11/a b?.mp4") == "/_r/2026/11/a%20b%3F.mp4"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=10-", ByteRange(10, 99)),
        ("bytes=90-500", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes = 1 - 2", ByteRange(1, 2)),
        ("bytes=5-4", None),
        ("items=0-1", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_parse_range_refuses_ranges_outside_the_file(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)

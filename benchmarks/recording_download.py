"""Download a large recording from a real ASGI server and measure the server's memory and CPU.

Starts uvicorn (one process) on a free loopback port against a fresh SQLite file database (or
``DATABASE_URL`` if set), stores a SIZE MiB recording (default 1024 = 1 GiB) in a temporary
MEDIA_ROOT, logs its host in (a session cookie), then downloads it: once whole, once broken off
after half and resumed with ``Range``/``If-Range``. Reports the server process's resident memory
(VmRSS sampled every 50 ms, peak VmHWM from /proc/<pid>/status), its CPU seconds, and the
throughput, as a ratio to reading the same file straight from disk in this process.

    uv run python benchmarks/recording_download.py [SIZE_MIB]

Through nginx with ``X-Accel-Redirect`` the same figures come from ``scripts/production-check``.
"""

import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.asgi_process import start_uvicorn  # noqa: E402

CHUNK = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
SETUP = """
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils.timezone import now
from portal.identity.models import User
from meetings.scheduling.models import Meeting
from meetings.recordings.models import RecordingSession, Recording
host = User.objects.create_user('bench-host-' + str(now().timestamp()))
meeting = Meeting.objects.create(host=host, topic='Benchmark', start=now(), duration_minutes=60)
session = RecordingSession.objects.create(meeting=meeting, started_by=host, stopped_at=now())
recording = Recording(meeting=meeting, session=session, size={size}, sha256='{sha}',
    content_type='video/mp4', source=Recording.Source.WEB_UPLOAD)
recording.save()
recording.file.name = recording.file.field.generate_filename(recording, 'recording.mp4')
recording.save()
store = SessionStore()
store[SESSION_KEY] = str(host.pk)
store[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
store[HASH_SESSION_KEY] = host.get_session_auth_hash()
store.create()
print(recording.pk, recording.file.name, store.session_key)
"""


def process_figures(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    values["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return values


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


def write_file(path: Path, size: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(CHUNK)
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        written = 0
        while written < size:
            chunk = block[: min(CHUNK, size - written)]
            if written == 0:
                chunk = MP4_HEAD + chunk[len(MP4_HEAD) :]
            handle.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def download(
    port: int, path: str, cookie: str, *, headers: dict | None = None, stop_after: int = 0
) -> tuple[int, dict, str, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}", **(headers or {})})
    response = connection.getresponse()
    digest = hashlib.sha256()
    received = 0
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        received += len(chunk)
        if stop_after and received >= stop_after:
            break
    connection.close()
    return (
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        digest.hexdigest(),
        received,
    )


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    size = size_mib * CHUNK
    workdir = Path(tempfile.mkdtemp(prefix="download-bench-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "MEDIA_ROOT": str(workdir / "media"),
        "TMPDIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        "RECORDINGS_ACCEL_REDIRECT_PREFIX": "",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    process = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        sha = "0" * 64
        pk, name, cookie = (
            manage(env, "shell", "-c", SETUP.format(size=size, sha=sha)).strip().split()[-3:]
        )
        expected = write_file(workdir / "media" / "recordings" / name, size)

        started = time.monotonic()
        with (workdir / "media" / "recordings" / name).open("rb") as handle:
            while handle.read(CHUNK):
                pass
        disk_seconds = time.monotonic() - started

        port, process = start_uvicorn(env=env)
        url = f"/meetings/recordings/{pk}/download/"
        download(port, url, cookie, headers={"Range": "bytes=0-1048575"})  # warm-up
        before = process_figures(process.pid)

        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(process_figures(process.pid)["VmRSS"])
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        status, _headers, digest, received = download(port, url, cookie)
        elapsed = time.monotonic() - started
        after_whole = process_figures(process.pid)

        half = size // 2
        status_first, headers, _digest, got = download(port, url, cookie, stop_after=half)
        status_rest, _h, _d, rest_received = download(
            port,
            url,
            cookie,
            headers={"Range": f"bytes={got}-", "If-Range": headers["etag"]},
        )
        done.set()
        sampler.join()
        after = process_figures(process.pid)

        assert status == 200 and received == size, (status, received)
        assert digest == expected, "checksum mismatch"
        assert status_first == 200 and got >= half
        assert status_rest == 206 and got + rest_received == size, (status_rest, rest_received)
        peak = max(samples + [after["VmRSS"]])
        print(f"file: {size_mib} MiB; read from disk in this process: {disk_seconds:.2f} s")
        print(
            f"download through uvicorn: {elapsed:.1f} s = {size_mib / elapsed:.0f} MiB/s "
            f"({disk_seconds / elapsed:.2f}x the disk read's throughput)"
        )
        print(
            f"server CPU for the whole download: {after_whole['cpu'] - before['cpu']:.1f} s "
            f"({(after_whole['cpu'] - before['cpu']) / elapsed * 100:.0f}% of one core)"
        )
        print(f"server RSS before: {before['VmRSS']:.1f} MiB")
        print(f"server RSS peak during download and resume (50 ms samples): {peak:.1f} MiB")
        print(
            f"peak increase over the warm server: {peak - before['VmRSS']:.1f} MiB "
            f"({(peak - before['VmRSS']) / size_mib * 100:.2f}% of the file size); "
            f"VmHWM after: {after['VmHWM']:.1f} MiB"
        )
        print(f"resumed at byte {got}: 206, {rest_received} bytes, total matches the file")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

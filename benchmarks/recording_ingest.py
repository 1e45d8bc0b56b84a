"""Stream a large recording into the ingest API of a real ASGI server and measure its memory.

Starts uvicorn (one process) on a free loopback port against a fresh SQLite file database
(or ``DATABASE_URL`` if set), uploads SIZE MiB (default 1024 = 1 GiB, generated on the fly,
never written by the client) with a bearer token, and reports the server process's resident
memory before and after (VmRSS, peak VmHWM from /proc/<pid>/status) and the throughput.

    uv run python benchmarks/recording_ingest.py [SIZE_MIB]
"""

import hashlib
import http.client
import json
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

TOKEN = "benchmark-ingest-token"
CHUNK = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
TIME_LIMIT = 900


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
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


def upload(port: int, session_id: int, size: int) -> tuple[dict, str, float]:
    block = os.urandom(CHUNK)
    digest = hashlib.sha256()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_LIMIT)
    connection.putrequest("POST", f"/meetings/api/recordings/ingest/?session={session_id}")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Content-Type", "video/mp4")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    started = time.monotonic()
    sent = 0
    while sent < size:
        chunk = block[: min(CHUNK, size - sent)]
        if sent == 0:
            chunk = MP4_HEAD + chunk[len(MP4_HEAD) :]
        connection.send(chunk)
        digest.update(chunk)
        sent += len(chunk)
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    elapsed = time.monotonic() - started
    connection.close()
    if response.status != 201:
        raise SystemExit(f"upload failed: HTTP {response.status} {body}")
    return body, digest.hexdigest(), elapsed


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    size = size_mib * CHUNK
    workdir = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "MEDIA_ROOT": str(workdir / "media"),
        "TMPDIR": str(workdir),
        "RECORDING_INGEST_TOKENS": TOKEN,
        "RECORDING_MAX_UPLOAD_BYTES": str(size + CHUNK),
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    process = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        session_id = int(
            manage(
                env,
                "shell",
                "-c",
                "import datetime\n"
                "from django.utils.timezone import now\n"
                "from portal.identity.models import User\n"
                "from meetings.scheduling.models import Meeting\n"
                "from meetings.recordings.models import RecordingSession\n"
                "host = User.objects.create_user('bench-host-' + str(now().timestamp()))\n"
                "meeting = Meeting.objects.create(host=host, topic='Benchmark', start=now(),"
                " duration_minutes=60)\n"
                "print(RecordingSession.objects.create(meeting=meeting, started_by=host).pk)\n",
            )
            .strip()
            .splitlines()[-1]
        )
        port, process = start_uvicorn(env=env)

        upload(port, session_id, 4 * CHUNK)  # warm-up: imports, first queries, storage
        before = memory_kib(process.pid)

        samples = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(memory_kib(process.pid)["VmRSS"])
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        body, digest, elapsed = upload(port, session_id, size)
        done.set()
        sampler.join()
        after = memory_kib(process.pid)

        assert body["size"] == size, body
        assert body["sha256"] == digest, "checksum mismatch"
        peak_rss = max(samples + [after["VmRSS"]])
        print(
            f"upload: {size_mib} MiB streamed in {elapsed:.1f} s = {size_mib / elapsed:.0f} MiB/s"
        )
        print(
            f"server RSS before: {before['VmRSS'] / 1024:.1f} MiB, "
            f"high-water mark before: {before['VmHWM'] / 1024:.1f} MiB"
        )
        print(f"server RSS peak during upload (sampled every 50 ms): {peak_rss / 1024:.1f} MiB")
        print(f"server high-water mark after: {after['VmHWM'] / 1024:.1f} MiB")
        increase = (after["VmHWM"] - before["VmRSS"]) / 1024
        print(
            f"peak increase over the warm server: {increase:.1f} MiB "
            f"({increase / size_mib * 100:.2f}% of the upload size)"
        )
        print(f"checksum verified: {digest}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

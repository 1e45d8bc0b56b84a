"""What the benchmarks that measure a real server process share: the server's environment
(production settings: DEBUG off), the two servers of production (gunicorn for HTTP, uvicorn
for websockets; docs/ARCHITECTURE.md, serving), a keep-alive load generator and the CPU time
a server's processes used.

The servers run with ``CELERY_TASK_ALWAYS_EAGER``: no benchmark starts a Celery worker, and
``/healthz`` would otherwise wait its whole second for a worker's answer on every request.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.asgi_process import start_uvicorn  # noqa: E402
from tests.wsgi_process import start_gunicorn  # noqa: E402

#: the server kinds a benchmark can start: production's HTTP server and the ASGI process
KINDS = ("gunicorn", "uvicorn")


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a server process with DEBUG off, and the secrets the benchmark's
    own (already set-up) Django process uses, so that rows it created (encrypted passcodes)
    read the same in the server."""
    from django.conf import settings

    return {
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "PASSCODE_ENCRYPTION_KEY": settings.PASSCODE_ENCRYPTION_KEY,
        "CONSENT_SUBJECT_KEY": settings.CONSENT_SUBJECT_KEY,
        "RETENTION_REFERENCE_SECRET": settings.RETENTION_REFERENCE_SECRET,
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        **extra,
    }


def start_server(kind: str, env: dict[str, str]) -> tuple[int, subprocess.Popen]:
    """One server process of ``kind``: ``gunicorn`` as deploy/systemd/portal-http@.service
    runs it, ``uvicorn`` as portal-asgi@.service (psycopg's pool, one process)."""
    if kind == "gunicorn":
        return start_gunicorn(env=env, timeout=60)
    if kind == "uvicorn":
        return start_uvicorn(
            env={"DATABASE_POOL": "true", **env}, extra_args=["--workers", "1"], timeout=60
        )
    raise ValueError(kind)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and its children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Load:
    """What a load run measured: requests answered, statuses seen, latencies (s)."""

    seconds: float
    cpu: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return len(self.latencies) / self.cpu if self.cpu else float("nan")

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[18] * 1000


async def _client(port: int, requests, deadline: float, load: Load, limit: int | None) -> None:
    reader = writer = None
    while time.monotonic() < deadline and (limit is None or len(load.latencies) < limit):
        request = next(requests)
        if request is None:
            break
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        began = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
        load.latencies.append(time.perf_counter() - began)
        load.statuses[status] = load.statuses.get(status, 0) + 1
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def http_request(method: str, path: str, body: str = "", **headers: str) -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request to the loopback server."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body.encode())}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def run_load(
    port: int,
    pid: int,
    requests,
    *,
    seconds: float,
    connections: int,
    limit: int | None = None,
) -> Load:
    """Send ``requests`` (an iterator of request bytes; None ends it) over ``connections``
    keep-alive connections for at most ``seconds`` (or ``limit`` answers); measure the
    server's CPU time over the same span."""
    load = Load(seconds=0.0, cpu=0.0)

    async def drive() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(port, requests, deadline, load, limit) for _ in range(connections))
        )

    cpu_before = cpu_seconds(pid)
    began = time.perf_counter()
    asyncio.run(drive())
    load.seconds = time.perf_counter() - began
    load.cpu = cpu_seconds(pid) - cpu_before
    return load


def repeat(request: bytes):
    while True:
        yield request

"""Start the portal's ASGI application in a uvicorn subprocess on a free loopback port.

Shared by the browser and multi-process tests (``tests/meetings/live/asgi_server.py``) and the
benchmarks that measure a real server process; it imports no Django, so a benchmark can use it
before or after setting Django up. Servers take about 4 s to start: the port is polled
(``tests/waiting.py``).
"""

import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.waiting import wait_until

PROJECT_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_uvicorn(
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 30,
    app: str = "portal.asgi:application",
) -> tuple[int, subprocess.Popen]:
    """Run ``app`` (default ``portal.asgi:application``) with ``env`` added to this process's
    environment; return the port and the process once the port answers (RuntimeError
    otherwise)."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            *extra_args,
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
    )

    return port, wait_for_port(process, port, timeout=timeout, name="the ASGI server")


def wait_for_port(
    process: subprocess.Popen, port: int, *, timeout: float, name: str
) -> subprocess.Popen:
    """Return ``process`` once its loopback ``port`` answers; kill it and raise RuntimeError
    if it exits or does not answer within ``timeout`` seconds."""

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    if wait_until(answers, timeout=timeout):
        return process
    process.kill()
    process.wait()
    raise RuntimeError(f"{name} did not start in time")

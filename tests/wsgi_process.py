"""Start the portal's WSGI application in a gunicorn subprocess on a free loopback port.

Production serves plain HTTP through gunicorn and websockets through uvicorn
(docs/ARCHITECTURE.md, serving). The benchmarks that measure a real HTTP server use this, the
same command as ``deploy/systemd/portal-http@.service``. Imports no Django.
"""

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from tests.asgi_process import PROJECT_DIR, free_port, wait_for_port

#: the worker settings of deploy/systemd/portal-http@.service, chosen by benchmarks/serving.py
GUNICORN_ARGS = (
    "--worker-class",
    "gthread",
    "--threads",
    "4",
    "--workers",
    "1",
    "--keep-alive",
    "5",
)


def start_gunicorn(
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    extra_args: Sequence[str] = GUNICORN_ARGS,
    timeout: float = 30,
) -> tuple[int, subprocess.Popen]:
    """Run ``portal.wsgi:application`` with ``env`` added to this process's environment;
    return the port and the master process once the port answers (RuntimeError otherwise).
    Persistent database connections (``DATABASE_CONN_MAX_AGE``) unless ``env`` says
    otherwise: a sync worker serves one request at a time and keeps its connection."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *extra_args,
        ],
        cwd=PROJECT_DIR,
        env={"DATABASE_CONN_MAX_AGE": "600", **os.environ, **(env or {})},
    )

    return port, wait_for_port(process, port, timeout=timeout, name="the WSGI server")

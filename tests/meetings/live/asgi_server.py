"""Run the portal in an ASGI server subprocess (uvicorn) for browser and multi-process tests.

Django's live server speaks no websockets, so tests start the real ASGI application on a free
loopback port against the test database (its name or file is passed in ``DATABASE_URL``).
"""

import subprocess

from django.conf import settings
from django.db import connection

from tests.asgi_process import start_uvicorn


def database_url_for_subprocess() -> str:
    """A ``DATABASE_URL`` naming the database the tests are using right now."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert "memory" not in name, "browser tests need a file-based SQLite test database"
        return f"sqlite:///{name}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class AsgiServer:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_asgi_server(
    timeout: float = 30, env: dict[str, str] | None = None, port: int | None = None
) -> AsgiServer:
    """Start uvicorn on ``port`` (a free one by default) against the test database and wait
    until it answers."""
    port, process = start_uvicorn(
        port=port,
        env={
            "DATABASE_URL": database_url_for_subprocess(),
            "REDIS_URL": settings.REDIS_URL,
            "DEBUG": "true",
            "STATIC_MANIFEST": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        },
        timeout=timeout,
        extra_args=["--timeout-graceful-shutdown", "20"],
    )
    return AsgiServer(port, process)

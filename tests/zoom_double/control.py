"""Start the Zoom double and drive it from tests and benchmarks (loopback only)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.asgi_process import start_uvicorn

ACCOUNT_ID = "double-account"
CLIENT_ID = "double-client"
CLIENT_SECRET = "double-secret"
WEBHOOK_SECRET = "double-webhook-secret"


def start_double():  # noqa: ANN201
    return start_uvicorn(app="tests.zoom_double.app:app")


class DoubleControl:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def settings(self) -> dict[str, str]:
        return {
            "MEETINGS_BACKEND": "meetings.backends.zoom.ZoomBackend",
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ZOOM_API_BASE_URL": f"{self.base}/v2",
            "ZOOM_OAUTH_URL": f"{self.base}/oauth/token",
        }

    def call(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.base}/_double/{path}", data=data, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")

    def reset(self) -> None:
        self.call("reset")

    def state(self) -> dict:
        return self.call("state")

    def config(self, **values: Any) -> None:
        self.call("config", values)

    def fault(self, *, path: str, status: int, count: int = 1, method: str = "*", **extra: Any):  # noqa: ANN201
        return self.call(
            "fault", {"path": path, "status": status, "count": count, "method": method, **extra}
        )

    def requests(self, method: str | None = None, contains: str = "") -> list[dict]:
        return [
            entry
            for entry in self.state()["log"]
            if (method is None or entry["method"] == method) and contains in entry["path"]
        ]

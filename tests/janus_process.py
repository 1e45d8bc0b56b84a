"""Start a Janus of our own (Debian's package) on free loopback ports for tests and benchmarks.

The configuration is the portal's own (``meetings/backends/janus_config.py``) with test
secrets, written under a temporary folder; recordings go to a folder beside it. The HTTP port
is polled until Janus answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.asgi_process import free_port

JANUS_BINARY = "/usr/bin/janus"


@dataclass
class JanusProcess:
    process: subprocess.Popen
    folder: Path
    api_url: str
    admin_url: str
    ws_url: str
    api_secret: str
    admin_secret: str
    room_key: str
    recordings_dir: Path

    @property
    def servers_setting(self) -> str:
        return f"{self.api_url}|{self.admin_url}|{self.api_url}"

    def env(self) -> dict[str, str]:
        """The portal's settings for this Janus (for an ASGI subprocess)."""
        return {
            "MEETINGS_BACKEND": "meetings.backends.janus.JanusBackend",
            "JANUS_SERVERS": self.servers_setting,
            "JANUS_API_SECRET": self.api_secret,
            "JANUS_ADMIN_SECRET": self.admin_secret,
            "JANUS_ROOM_KEY": self.room_key,
            "JANUS_RECORDINGS_DIR": str(self.recordings_dir),
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def janus_installed() -> bool:
    return shutil.which(JANUS_BINARY) is not None


def start_janus(
    *,
    room_key: str = "test-room-key",
    api_secret: str = "test-api-secret",
    admin_secret: str = "test-admin-secret",
    rtp_base: int | None = None,
    timeout: float = 20,
    netns: str | None = None,
    listen_ip: str = "127.0.0.1",
    ice_interface: str = "lo",
) -> JanusProcess:
    """Start Janus with the portal's configuration; return once its HTTP API answers.

    ``netns``: run it inside that network namespace (a test host of our own, see
    ``tests/netns.py``), listening on ``listen_ip`` with ICE on ``ice_interface``."""
    from meetings.backends.janus_config import JanusConfig, derive_secret, write_config

    folder = Path(tempfile.mkdtemp(prefix="portal-janus-"))
    http_port, admin_port, ws_port = free_port(), free_port(), free_port()
    # one range of UDP ports per process, so that parallel workers never collide
    rtp_base = rtp_base or 20000 + (os.getpid() % 40) * 1000
    config = JanusConfig(
        directory=folder / "etc",
        api_secret=api_secret,
        admin_secret=admin_secret,
        room_admin_key=derive_secret(room_key, "videoroom-admin-key"),
        recordings_dir=folder / "recordings",
        http_port=http_port,
        admin_port=admin_port,
        ws_port=ws_port,
        rtp_port_range=f"{rtp_base}-{rtp_base + 999}",
        listen_ip=listen_ip,
        ice_enforce_list=ice_interface,
        debug_level=3,
    )
    write_config(config)
    log = open(folder / "janus.log", "wb")  # noqa: SIM115 (kept open for the child)
    process = subprocess.Popen(
        [
            *(["ip", "netns", "exec", netns] if netns else []),
            JANUS_BINARY,
            "-F",
            str(config.directory),
            "--disable-colors",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = JanusProcess(
        process=process,
        folder=folder,
        api_url=config.api_url,
        admin_url=config.admin_url,
        ws_url=config.ws_url,
        api_secret=api_secret,
        admin_secret=admin_secret,
        room_key=room_key,
        recordings_dir=config.recordings_dir,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Janus exited with {process.returncode}; see {folder}/janus.log")
        try:
            with urllib.request.urlopen(f"{config.api_url}/info", timeout=0.5) as answer:  # noqa: S310
                if json.loads(answer.read()).get("janus") == "server_info":
                    return running
        except OSError:
            time.sleep(0.1)
    running.stop()
    raise RuntimeError("Janus did not start in time")

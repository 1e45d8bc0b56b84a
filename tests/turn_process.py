"""Start coturn (Debian's ``turnserver``) on a free loopback port for tests.

The command line is the one README.md documents for production (TURN REST API credentials:
``use-auth-secret`` with ``static-auth-secret`` equal to ``TURN_SECRET``), narrowed to this
machine: browsers reach it on 127.0.0.1 and, only here, it may relay to loopback peers. Its user
database, pid file and log live in a temporary folder.

The relay address is given by the caller: Chromium pairs a relay candidate on 127.0.0.1 only
with loopback candidates, and Janus gathers none on loopback, so the relay test puts Janus on a
test host of its own (``tests/netns.py``) and relays from this machine's end of that pair.
Nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.asgi_process import free_port
from tests.waiting import wait_until

TURNSERVER = "/usr/bin/turnserver"


@dataclass
class TurnProcess:
    process: subprocess.Popen
    folder: Path
    port: int
    secret: str

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def env(self) -> dict[str, str]:
        """The portal's settings for this TURN server (for an ASGI subprocess)."""
        return {"TURN_URLS": self.url, "TURN_SECRET": self.secret}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def turnserver_installed() -> bool:
    return shutil.which(TURNSERVER) is not None


def turnserver_command(
    *, port: int, secret: str, folder: Path, relay_ports: str, relay_ip: str
) -> list[str]:
    low, high = relay_ports.split("-")
    return [
        TURNSERVER,
        "-n",  # no configuration file: everything is on this line
        "--listening-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--relay-ip={relay_ip}",
        f"--min-port={low}",
        f"--max-port={high}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=portal.test",
        "--fingerprint",
        "--no-multicast-peers",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--no-tcp-relay",
        f"--db={folder / 'turndb'}",
        f"--pidfile={folder / 'turnserver.pid'}",
        f"--log-file={folder / 'turn.log'}",
        "--simple-log",
        "--no-stdout-log",
    ]


def start_turnserver(
    *, relay_ip: str, secret: str = "test-turn-secret", timeout: float = 15
) -> TurnProcess:
    """Start coturn; return once its TCP listener accepts connections."""
    folder = Path(tempfile.mkdtemp(prefix="portal-turn-"))
    port = free_port()
    # relay ports apart from the test Janus' RTP ranges (20000-59999), one range per worker
    base = 60000 + (os.getpid() % 5) * 1000
    process = subprocess.Popen(
        turnserver_command(
            port=port,
            secret=secret,
            folder=folder,
            relay_ports=f"{base}-{base + 999}",
            relay_ip=relay_ip,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = TurnProcess(process=process, folder=folder, port=port, secret=secret)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"turnserver exited with {process.returncode}; see {folder}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    if not wait_until(answers, timeout=timeout, interval=0.1):
        running.stop()
        raise RuntimeError("turnserver did not start in time")
    return running

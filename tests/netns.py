"""A test host of our own: a network namespace joined to this machine by a veth pair.

Some media paths cannot be tested on loopback alone: a TURN relay on 127.0.0.1 is paired by
Chromium with loopback candidates only, and Janus gathers none there. A namespace gives Janus
an address of its own (``ns_ip``) that this machine reaches through the pair (``host_ip``);
both addresses exist only while the namespace does, and nothing leaves the machine. Needs
``ip`` (iproute2) and the right to create namespaces (root in CI); :func:`available` says
whether this machine allows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class TestHost:
    name: str  # the namespace
    host_ip: str  # this machine's end of the pair
    ns_ip: str  # the namespace's end
    ns_interface: str


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def available() -> bool:
    if shutil.which("ip") is None:
        return False
    probe = f"pprobe{os.getpid() % 100000}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.CalledProcessError, OSError):
        return False
    _ip("netns", "del", probe)
    return True


@contextmanager
def test_host() -> Iterator[TestHost]:
    """A namespace with one address, reachable from here; removed afterwards."""
    number = os.getpid() % 250 + 1
    name, outside, inside = f"ptest{number}", f"pth{number}", f"ptn{number}"
    host_ip, ns_ip = f"10.231.{number}.1", f"10.231.{number}.2"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)  # a leftover
    subprocess.run(["ip", "link", "del", outside], capture_output=True)
    _ip("netns", "add", name)
    try:
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", name)
        _ip("addr", "add", f"{host_ip}/30", "dev", outside)
        _ip("link", "set", outside, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", inside)
        _ip("netns", "exec", name, "ip", "link", "set", inside, "up")
        _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield TestHost(name=name, host_ip=host_ip, ns_ip=ns_ip, ns_interface=inside)
    finally:
        subprocess.run(["ip", "link", "del", outside], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)

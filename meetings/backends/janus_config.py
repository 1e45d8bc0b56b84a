"""A Janus configuration folder the portal writes itself (docs/ARCHITECTURE.md, backends).

The portal is the only gatekeeper of its media server, so Janus is configured for that: the
HTTP and WebSocket transports listen on loopback only (browsers reach them through the
institution's proxy), every request needs the API secret (the portal) or a token the portal
added through the Admin API (an admitted participant), the Admin API needs its own secret,
the VideoRoom plugin creates rooms only with the portal's key, and recordings go to a folder
the portal converts from. Unused plugins, transports, loggers and event handlers are disabled.

Plain Python without Django, used by the tests and the benchmarks; run as a module it writes
the folder from the portal's settings (``scripts/run`` does this before it starts Janus as a
child process; production writes it once per server, with that server's ports and addresses)::

    scripts/janus-config --dir var/janus/etc

The secrets come from the settings (``JANUS_API_SECRET``, ``JANUS_ADMIN_SECRET``,
``JANUS_ROOM_KEY``) and are written only into the folder, readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

LIBRARY_DIR = "/usr/lib/x86_64-linux-gnu/janus"
UNUSED_PLUGINS = (
    "audiobridge",
    "duktape",
    "echotest",
    "lua",
    "nosip",
    "recordplay",
    "sip",
    "streaming",
    "textroom",
    "videocall",
    "voicemail",
)
UNUSED_TRANSPORTS = ("mqtt", "nanomsg", "pfunix", "rabbitmq")


def derive_secret(key: str, purpose: str, value: object = "") -> str:
    """A secret derived from ``JANUS_ROOM_KEY`` (room secrets, the VideoRoom admin key,
    participants' tokens): nothing to store, the same in every process."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class JanusConfig:
    """What differs between one Janus and the next (ports, secrets, folders)."""

    directory: Path
    api_secret: str
    admin_secret: str
    room_admin_key: str
    recordings_dir: Path
    http_port: int = 8088
    admin_port: int = 7088
    ws_port: int = 8188
    rtp_port_range: str = "20000-40000"
    #: the address the HTTP, admin and WebSocket transports listen on (loopback: reached only
    #: through the proxy on the same machine)
    listen_ip: str = "127.0.0.1"
    #: interfaces ICE may use; "lo" for one machine (tests, development), empty: all
    ice_enforce_list: str = "lo"
    nat_1_1_mapping: str = ""
    session_timeout: int = 30
    debug_level: int = 4
    turn_rest_api: str = ""
    extra_protected_folders: list[str] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://{self.listen_ip}:{self.http_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://{self.listen_ip}:{self.admin_port}/admin"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.listen_ip}:{self.ws_port}/"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return json.dumps(str(value))  # a libconfig string: double quotes, escapes as in JSON


def _render(sections: dict[str, dict[str, object]]) -> str:
    lines = ["# Written by the portal (meetings/backends/janus_config.py); edits are overwritten."]
    for name, values in sections.items():
        lines.append(f"{name}: {{")
        lines.extend(f"\t{key} = {_value(value)}" for key, value in values.items())
        lines.append("}")
    return "\n".join(lines) + "\n"


def write_config(config: JanusConfig) -> Path:
    """Write the configuration folder; return it (``janus -F <folder>`` starts from it).

    The files hold secrets: the folder is readable by its owner only.
    """
    folder = Path(config.directory)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    Path(config.recordings_dir).mkdir(parents=True, exist_ok=True)
    nat: dict[str, object] = {"nice_debug": False, "ignore_mdns": True}
    if config.ice_enforce_list:
        nat["ice_enforce_list"] = config.ice_enforce_list
    if config.nat_1_1_mapping:
        nat["nat_1_1_mapping"] = config.nat_1_1_mapping
    if config.turn_rest_api:
        nat["turn_rest_api"] = config.turn_rest_api
    files = {
        "janus.jcfg": {
            "general": {
                "configs_folder": str(folder),
                "plugins_folder": f"{LIBRARY_DIR}/plugins",
                "transports_folder": f"{LIBRARY_DIR}/transports",
                "events_folder": f"{LIBRARY_DIR}/events",
                "loggers_folder": f"{LIBRARY_DIR}/loggers",
                "debug_level": config.debug_level,
                "server_name": "portal-janus",
                "session_timeout": config.session_timeout,
                # the portal signs its own requests with the API secret; browsers send the
                # token the portal added for them (either is enough, and nothing else is)
                "api_secret": config.api_secret,
                "token_auth": True,
                "admin_secret": config.admin_secret,
                "protected_folders": [
                    "/bin",
                    "/boot",
                    "/dev",
                    "/etc",
                    "/lib",
                    "/proc",
                    "/sbin",
                    "/sys",
                    "/usr",
                    str(folder),
                    *config.extra_protected_folders,
                ],
            },
            "media": {"rtp_port_range": config.rtp_port_range},
            "nat": nat,
            "plugins": {"disable": ",".join(f"libjanus_{name}.so" for name in UNUSED_PLUGINS)},
            "transports": {
                "disable": ",".join(f"libjanus_{name}.so" for name in UNUSED_TRANSPORTS)
            },
            "loggers": {"disable": "libjanus_jsonlog.so"},
            "events": {"broadcast": False},
        },
        "janus.transport.http.jcfg": {
            "general": {
                "json": "compact",
                "base_path": "/janus",
                "http": True,
                "port": config.http_port,
                "ip": config.listen_ip,
                "https": False,
            },
            "admin": {
                "admin_base_path": "/admin",
                "admin_http": True,
                "admin_port": config.admin_port,
                "admin_ip": config.listen_ip,
                "admin_https": False,
            },
            "cors": {},
        },
        "janus.transport.websockets.jcfg": {
            "general": {
                "json": "compact",
                "ws": True,
                "ws_port": config.ws_port,
                "ws_ip": config.listen_ip,
                "wss": False,
            },
            "admin": {"admin_ws": False, "admin_wss": False},
        },
        "janus.plugin.videoroom.jcfg": {
            # rooms exist only when the portal creates them with this key
            "general": {"admin_key": config.room_admin_key, "lock_rtp_forward": True},
        },
    }
    for name, sections in files.items():
        path = folder / name
        path.write_text(_render(sections))
        path.chmod(0o600)
    return folder


def main(argv: list[str] | None = None) -> None:
    """Write the configuration folder from the portal's settings (see the module docstring)."""
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(
        prog="scripts/janus-config",
        description="Write a Janus configuration folder (transports on loopback, secrets set).",
    )
    parser.add_argument("--dir", default="var/janus/etc")
    parser.add_argument("--http-port", type=int, default=8088)
    parser.add_argument("--admin-port", type=int, default=7088)
    parser.add_argument("--ws-port", type=int, default=8188)
    parser.add_argument("--rtp-ports", default="20000-40000")
    parser.add_argument(
        "--ice-enforce-list",
        default="lo",
        help='interfaces for media ("lo": this machine only; "" for all)',
    )
    parser.add_argument("--nat-1-1", default="", help="the public address behind NAT")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.conf import settings

    from meetings.backends.janus import room_admin_key

    folder = write_config(
        JanusConfig(
            directory=Path(options.dir),
            api_secret=settings.JANUS_API_SECRET,
            admin_secret=settings.JANUS_ADMIN_SECRET,
            room_admin_key=room_admin_key(),
            recordings_dir=Path(settings.JANUS_RECORDINGS_DIR),
            http_port=options.http_port,
            admin_port=options.admin_port,
            ws_port=options.ws_port,
            rtp_port_range=options.rtp_ports,
            ice_enforce_list=options.ice_enforce_list,
            nat_1_1_mapping=options.nat_1_1,
        )
    )
    print(f"Janus configuration written to {folder}")  # noqa: T201

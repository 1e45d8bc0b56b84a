"""``manage.py janus_config``: write the Janus configuration folder from the settings.

``scripts/run`` calls it before it starts Janus as a child process; production writes it once
per server (with that server's ports and addresses) and runs Janus under its service manager.
The secrets come from the settings (``JANUS_API_SECRET``, ``JANUS_ADMIN_SECRET``,
``JANUS_ROOM_KEY``) and are written only into the folder, readable by its owner only.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from meetings.backends.janus import room_admin_key
from meetings.backends.janus_config import JanusConfig, write_config


class Command(BaseCommand):
    help = "Write a Janus configuration folder (transports on loopback, secrets set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "var" / "janus" / "etc"))
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

    def handle(self, *args: object, **options: object) -> None:
        folder = write_config(
            JanusConfig(
                directory=Path(str(options["dir"])),
                api_secret=settings.JANUS_API_SECRET,
                admin_secret=settings.JANUS_ADMIN_SECRET,
                room_admin_key=room_admin_key(),
                recordings_dir=Path(settings.JANUS_RECORDINGS_DIR),
                http_port=int(options["http_port"]),
                admin_port=int(options["admin_port"]),
                ws_port=int(options["ws_port"]),
                rtp_port_range=str(options["rtp_ports"]),
                ice_enforce_list=str(options["ice_enforce_list"]),
                nat_1_1_mapping=str(options["nat_1_1"]),
            )
        )
        self.stdout.write(f"Janus configuration written to {folder}")

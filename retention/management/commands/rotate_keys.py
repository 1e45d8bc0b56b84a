"""Move every stored secret-dependent value to the current keys, in batches, while the portal
runs (docs/OPERATIONS.md, key rotation).

Each app registers what it stores (retention/keyring.py::register_rotation): encrypted
passcodes are re-encrypted (MultiFernet.rotate), keyed references are wrapped. Safe to run
again and to interrupt: a value already under the current key is left alone.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention.keyring import registered_rotations


class Command(BaseCommand):
    help = "Re-encrypt passcodes and wrap keyed references under the current keys, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--only", action="append", default=[], help="a registered name; may be repeated"
        )

    def handle(self, *args: object, batch_size: int, only: list[str], **options: object) -> None:
        rotations = registered_rotations()
        unknown = set(only) - set(rotations)
        if unknown:
            raise CommandError(
                f"unknown: {', '.join(sorted(unknown))}; known: {', '.join(sorted(rotations))}"
            )
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        left = 0
        for name, rotate in rotations.items():
            if only and name not in only:
                continue
            report = rotate(batch_size)
            left += report.left
            self.stdout.write(str(report))
        if left:
            raise CommandError(
                f"{left} values were not moved (a key no longer configured, or changed "
                "meanwhile): run again; keep the old keys configured until nothing is left"
            )

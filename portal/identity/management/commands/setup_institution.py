"""The first command on a new installation (docs/OPERATIONS.md): the institution from a small
configuration file, idempotently (portal/identity/setup.py; example in deploy/institution.toml).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.identity.setup import SetupError, load_config, setup_institution


class Command(BaseCommand):
    help = (
        "Create or update the institution, licence types and pools, roles, affiliation rules, "
        "terms of use, consent text, meeting policy and the first administrator from a TOML or "
        "YAML file (the administrator's password from SETUP_ADMIN_PASSWORD)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("config", type=Path)

    def handle(self, *args: object, config: Path, **options: object) -> None:
        try:
            changes = setup_institution(load_config(config))
        except SetupError as error:
            raise CommandError(f"Nothing was changed: {error}") from None
        for change in changes:
            self.stdout.write(f"- {change}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(changes)} changes made." if changes else "Everything is set up already."
            )
        )

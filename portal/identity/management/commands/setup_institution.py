"""The first command on a new installation (docs/OPERATIONS.md): the institution from a small
configuration file, idempotently (portal/identity/setup.py; example in deploy/institution.toml).
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.identity.setup import (
    AdministratorSecondFactor,
    SetupError,
    load_config,
    setup_institution,
)


def write_for_operator(path: Path, text: str) -> None:
    """Write ``text`` to a new file only its owner can read (never over an existing one: an
    earlier secret may not have been picked up yet)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise SetupError(f"--second-factor-file {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


class Command(BaseCommand):
    help = (
        "Create or update the institution, licence types and pools, roles, affiliation rules, "
        "terms of use, consent text, meeting policy and the first administrator with an "
        "authenticator app as second factor from a TOML or YAML file (the administrator's "
        "password from SETUP_ADMIN_PASSWORD; the app's secret shown once, or written to "
        "--second-factor-file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("config", type=Path)
        parser.add_argument(
            "--second-factor-file",
            type=Path,
            help="write the administrator's new second factor to this new file (mode 0600) "
            "instead of printing it",
        )
        parser.add_argument(
            "--rotate-admin-second-factor",
            action="store_true",
            help="replace the administrator's authenticator app and recovery codes (a lost "
            "device); without it an enrolled second factor is never changed",
        )

    def handle(
        self,
        *args: object,
        config: Path,
        second_factor_file: Path | None,
        rotate_admin_second_factor: bool,
        **options: object,
    ) -> None:
        def hand_over(second_factor: AdministratorSecondFactor) -> None:
            if second_factor_file is not None:
                write_for_operator(second_factor_file, second_factor.for_operator())
            else:
                self.stdout.write(second_factor.for_operator())

        try:
            result = setup_institution(
                load_config(config),
                rotate_admin_second_factor=rotate_admin_second_factor,
                hand_over=hand_over,
            )
        except SetupError as error:
            raise CommandError(f"Nothing was changed: {error}") from None
        for change in result.changes:
            self.stdout.write(f"- {change}")
        if result.second_factor is not None and second_factor_file is not None:
            self.stdout.write(
                f"The administrator's second factor is in {second_factor_file} (only you can "
                "read it): add it to an authenticator app, keep the recovery codes, delete "
                "the file."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.changes)} changes made."
                if result.changes
                else "Everything is set up already."
            )
        )

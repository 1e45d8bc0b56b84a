"""``manage.py import_leavers FILE [--dry-run]``: deprovision the people the institution's
identity management reports as having left, the same day (portal/identity/leavers.py).

Run it daily from the identity management's export (cron or a systemd timer), e.g.
``manage.py import_leavers /srv/idm/leavers-$(date +%F).csv``; ``-`` reads standard input.
"""

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.identity.leavers import LeaversFileInvalid, deprovision_leavers, usernames_from_csv


class Command(BaseCommand):
    help = "Deprovision the leavers listed in a CSV file (column 'username') today."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file with a header row; '-' for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would happen; change nothing."
        )

    def handle(self, *args: str, **options: object) -> None:
        path = str(options["file"])
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig") as handle:
                    text = handle.read()
            usernames = usernames_from_csv(text)
        except (OSError, UnicodeDecodeError, LeaversFileInvalid) as error:
            raise CommandError(f"Cannot read the leavers file: {error}") from None
        report = deprovision_leavers(usernames=usernames, dry_run=bool(options["dry_run"]))
        verb = "would be deprovisioned" if options["dry_run"] else "deprovisioned"
        # counts only: the names are personal data and stay out of the output and the logs
        self.stdout.write(
            f"{report.deprovisioned} {verb}, {report.already} already, "
            f"{len(report.unknown)} unknown, {len(report.superusers)} superusers skipped."
        )

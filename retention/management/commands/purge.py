"""``manage.py purge [--dry-run] [--category X]``: run (or preview) the retention purge.

The nightly Celery tasks call the same service; this command is for admins who want to see
what would go, or to purge now.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention import services
from retention.management.commands._category_options import (
    add_category_options,
    chosen_categories,
)


class Command(BaseCommand):
    help = "Delete what the retention rules say is expired, per category (or list it)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_category_options(parser, dry_run_help="List what would be deleted; change nothing.")

    def handle(self, *args: str, **options: object) -> None:
        identifiers = chosen_categories(options)
        dry_run = bool(options["dry_run"])
        failed = []
        for identifier in identifiers:
            try:
                report = services.purge_category(
                    identifier=identifier, dry_run=dry_run, batch_size=options["batch_size"]
                )
            except Exception as exc:  # recorded on the run; go on with the other categories
                failed.append(identifier)
                self.stderr.write(f"{identifier}: FAILED {services.describe_failure(exc)}")
                continue
            verb = "would delete or anonymise" if dry_run else "deleted or anonymised"
            if report.status == "busy":
                self.stdout.write(f"{identifier}: skipped, another run is in progress")
                continue
            self.stdout.write(
                f"{identifier}: {report.expired} expired, {report.held} kept by legal hold, "
                f"{verb} {report.expired - report.held if dry_run else report.done}"
            )
            for rule_report in report.rules:
                self.stdout.write(
                    f"  rule {rule_report.rule}: {rule_report.expired} expired, "
                    f"{rule_report.held} held"
                )
                if dry_run and options["verbosity"] >= 2:
                    for key in rule_report.sample:
                        self.stdout.write(f"    {key}")
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)} (see the purge runs in the admin).")

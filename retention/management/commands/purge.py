"""``manage.py purge [--dry-run] [--category X]``: run (or preview) the retention purge.

The nightly Celery tasks call the same service; this command is for admins who want to see
what would go, or to purge now.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention import services
from retention.registry import registry


class Command(BaseCommand):
    help = "Delete what the retention rules say is expired, per category (or list it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be deleted; change nothing."
        )
        parser.add_argument(
            "--category",
            action="append",
            dest="categories",
            metavar="IDENTIFIER",
            help="Only this category (repeatable). Default: every registered category.",
        )
        parser.add_argument("--batch-size", type=int, default=services.DEFAULT_BATCH_SIZE)

    def handle(self, *args: str, **options: object) -> None:
        identifiers = options["categories"] or registry.identifiers()
        unknown = [i for i in identifiers if i not in registry]
        if unknown:
            raise CommandError(
                f"Unknown category: {', '.join(unknown)}. "
                f"Registered: {', '.join(registry.identifiers())}."
            )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
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

"""``manage.py reapply_deletions [--dry-run] [--category X]``: after a restore, delete again
every item the deletion journal says was deleted (docs/BACKUP.md).

Run it after restoring a database backup and the recordings storage, before the portal takes
requests again. The nightly purge runs do the same per category anyway.
"""

from django.core.management.base import BaseCommand, CommandParser

from retention import journal, services
from retention.management.commands._category_options import (
    add_category_options,
    chosen_categories,
)


class Command(BaseCommand):
    help = (
        "Delete again what the deletion journal (RETENTION_JOURNAL_DIR) says was deleted and "
        "a restored backup brought back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_category_options(parser, dry_run_help="Count what would go; change nothing.")

    def handle(self, *args: str, **options: object) -> None:
        identifiers = chosen_categories(options)
        if not journal.files():
            self.stderr.write(
                f"No deletion journal in {journal.journal_dir()}: restore it from its own "
                "backup first (docs/BACKUP.md), or there was nothing deleted yet."
            )
        reports = services.reapply_deletions(
            identifiers=list(identifiers),
            dry_run=bool(options["dry_run"]),
            batch_size=int(options["batch_size"] or services.DEFAULT_BATCH_SIZE),
        )
        verb = "would go again" if options["dry_run"] else "deleted again"
        for report in reports:
            done = report.found if options["dry_run"] else report.done
            self.stdout.write(
                f"{report.category} ({report.action}): {report.journaled} in the journal, "
                f"{report.found} restored, {done} {verb}"
            )
        total = sum(r.found if options["dry_run"] else r.done for r in reports)
        self.stdout.write(f"Total: {total} {verb}.")

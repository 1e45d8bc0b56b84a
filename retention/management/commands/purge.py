"""``manage.py purge [--dry-run] [--category X]``: run (or preview) the retention purge.

The nightly Celery tasks call the same service; this command is for admins who want to see
what would go, or to purge now.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import ngettext

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
        # one language for the whole report (the rules' labels would follow LANGUAGE_CODE)
        with translation.override("en"):
            self.purge(options)

    def purge(self, options: dict) -> None:
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
            if report.status == "busy":
                self.stdout.write(f"{identifier}: skipped, another run is in progress.")
                continue
            self.stdout.write(f"{identifier}: {self.summary(report, dry_run)}")
            for rule_report in report.rules:
                found = ngettext(
                    "%(count)d item expired", "%(count)d items expired", rule_report.expired
                ) % {"count": rule_report.expired}
                self.stdout.write(
                    f"  rule “{rule_report.rule.period_display} after "
                    f"{rule_report.rule.counts_from_label}”: {found}, "
                    f"{rule_report.held} kept by legal hold."
                )
                if dry_run and options["verbosity"] >= 2:
                    for key in rule_report.sample:
                        self.stdout.write(f"    {key}")
        if failed:
            raise CommandError(
                f"Failed: {', '.join(failed)} (see the purge runs in the administration)."
            )

    @staticmethod
    def summary(report: services.PurgeReport, dry_run: bool) -> str:
        """ "3 items expired, 1 kept by legal hold, 2 deleted or anonymised." (or "would be")"""
        expired = ngettext("%(count)d item expired", "%(count)d items expired", report.expired) % {
            "count": report.expired
        }
        if dry_run:
            done = f"{report.expired - report.held} would be deleted or anonymised"
        else:
            done = f"{report.done} deleted or anonymised"
        return f"{expired}, {report.held} kept by legal hold, {done}."

"""``manage.py check_holds [--dry-run]``: check every active legal hold's reference.

Holds entered before holds were named the way the portal shows objects may name an object by
the number users see (a meeting ID) where the engine matches the internal key: they protect
nothing. Each hold is resolved (retention/holds.py::check_hold): a reference whose shown
number names exactly one object is corrected to it; one that matches nothing or several
objects is marked invalid and shown on the holds page. Also run nightly and after ``migrate``.
"""

from django.core.management.base import BaseCommand, CommandParser

from retention.holds import check_holds


class Command(BaseCommand):
    help = "Check the references of the active legal holds; mark those that protect nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")

    def handle(self, *args: str, **options: object) -> None:
        results = check_holds(dry_run=bool(options["dry_run"]))
        invalid = 0
        for result in results:
            if result.problem == "nothing":
                invalid += 1
                self.stdout.write(f"hold {result.hold_id}: {result.reference} matches nothing")
            elif result.problem == "several":
                invalid += 1
                self.stdout.write(
                    f"hold {result.hold_id}: {result.reference} matches "
                    f"{len(result.matches)} objects"
                )
            elif result.matches:
                self.stdout.write(f"hold {result.hold_id}: corrected to {result.reference}")
        summary = f"{len(results)} active hold(s) checked, {invalid} protect nothing until fixed"
        if invalid:
            self.stderr.write(summary + ": see Retention › Legal holds in the admin.")
        else:
            self.stdout.write(summary + ".")

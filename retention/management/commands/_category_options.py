"""The options ``purge`` and ``reapply_deletions`` share: which categories, dry run, batch size."""

from django.core.management.base import CommandError, CommandParser

from retention import services
from retention.registry import registry


def add_category_options(parser: CommandParser, *, dry_run_help: str) -> None:
    parser.add_argument("--dry-run", action="store_true", help=dry_run_help)
    parser.add_argument(
        "--category",
        action="append",
        dest="categories",
        metavar="IDENTIFIER",
        help="Only this category (repeatable). Default: every registered category.",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=(
            "Items per batch. Default: RETENTION_PURGE_BATCH_SIZE for purges, "
            f"{services.DEFAULT_BATCH_SIZE} for reapplying."
        ),
    )


def chosen_categories(options: dict) -> list[str]:
    """The categories asked for (every registered one by default); refuses unknown ones and a
    batch size below 1 with a clear message."""
    identifiers = options["categories"] or registry.identifiers()
    unknown = [i for i in identifiers if i not in registry]
    if unknown:
        raise CommandError(
            f"Unknown category: {', '.join(unknown)}. "
            f"Registered: {', '.join(registry.identifiers())}."
        )
    if options["batch_size"] is not None and options["batch_size"] < 1:
        raise CommandError("--batch-size must be at least 1.")
    return list(identifiers)

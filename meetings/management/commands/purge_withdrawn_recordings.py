from django.core.management.base import BaseCommand

from meetings.recordings.services import purge_withdrawn_recordings


class Command(BaseCommand):
    help = "Delete recordings whose deletion date (after a withdrawn consent) has passed."

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        deleted = purge_withdrawn_recordings()
        self.stdout.write(f"Deleted {deleted} recordings")

"""Deprovision SSO accounts that are no longer members or were inactive too long."""

from django.core.management.base import BaseCommand

from portal.identity.services import deprovision_stale_accounts
from portal.identity.sso.replay import forget_expired


class Command(BaseCommand):
    help = "Remove licences of former members and long-inactive users; queue their deletion."

    def handle(self, *args: object, **options: object) -> None:
        count = deprovision_stale_accounts()
        forgotten = forget_expired()
        self.stdout.write(
            f"Queued {count} accounts for deletion; forgot {forgotten} expired assertion IDs."
        )

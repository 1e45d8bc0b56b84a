"""``manage.py zoom_check``: the operator's first-day check of the institution's Zoom account.

Read-only: it fetches a token, reads the user summary, the account settings and their locks,
and compares them with what the portal relies on (README, Zoom). It changes nothing at Zoom
and prints no secret. Exit status 1 when something the portal relies on is missing.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meetings.backends.zoom.client import ZoomClient, ZoomError
from meetings.backends.zoom.services import LICENSED, is_enabled, zoom_type_for
from portal.identity.models import LicencePool


class Command(BaseCommand):
    help = "Check the Zoom account's credentials and settings (read-only)."

    def handle(self, *args: object, **options: object) -> None:
        problems: list[str] = []
        notes: list[str] = []
        if not is_enabled():
            notes.append("MEETINGS_BACKEND does not name the Zoom backend: Zoom is not governed.")
        if not settings.ZOOM_WEBHOOK_SECRET:
            problems.append("ZOOM_WEBHOOK_SECRET is empty: webhooks would be refused.")
        api = ZoomClient()
        try:
            api.access_token(force=True)
            self.stdout.write("token: obtained (Server-to-Server OAuth)")
            summary = api.get("/users/summary") or {}
            account = api.get("/accounts/me/settings") or {}
            locks = api.get("/accounts/me/lock_settings") or {}
        except ZoomError as error:
            raise CommandError(f"Zoom: {error}") from None
        licensed = int(summary.get("licensed_users_count", 0))
        quota = sum(
            pool.quota
            for pool in LicencePool.objects.select_related("licence_type")
            if zoom_type_for(pool.licence_type) == LICENSED
        )
        self.stdout.write(f"users: {summary.get('total_users_count', 0)}, licensed {licensed}")
        self.stdout.write(f"portal quota of Licensed seats: {quota}")
        recording = account.get("recording") or {}
        in_meeting = account.get("in_meeting") or {}
        schedule = account.get("schedule_meeting") or {}
        if recording.get("auto_recording", "none") != "none":
            problems.append("Automatic recording is on for the account (must be off).")
        if recording.get("local_recording"):
            problems.append(
                "Local recording is allowed: the portal cannot see or govern local recordings."
            )
        if in_meeting.get("waiting_room") is False:
            problems.append("The waiting room is off by default for the account.")
        if schedule.get("join_before_host"):
            problems.append("Join before host is on by default for the account.")
        for section, name in (("recording", "auto_recording"), ("in_meeting", "waiting_room")):
            if not (locks.get(section) or {}).get(name):
                notes.append(
                    f"{section}.{name} is not locked for the account (hosts may change it)."
                )
        for note in notes:
            self.stdout.write(self.style.WARNING(f"note: {note}"))
        for problem in problems:
            self.stdout.write(self.style.ERROR(f"problem: {problem}"))
        self.stdout.write(f"requests made: {api.requests_made} (read-only)")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found")
        self.stdout.write(self.style.SUCCESS("Zoom account ready for the portal."))

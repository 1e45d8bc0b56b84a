"""``manage.py zoom_check``: the operator's first-day check of the institution's Zoom account.

Read-only: it fetches a token, reads the user summary, the account settings and their locks,
and compares them with what the portal relies on (README, Zoom). It changes nothing at Zoom
and prints no secret. Exit status 1 when something the portal relies on is missing. It speaks
the language of ``LANGUAGE_CODE`` (German or English), or of ``--language``.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meetings.backends.zoom.client import ZoomClient, ZoomError
from meetings.backends.zoom.services import LICENSED, is_enabled, zoom_type_for
from portal.identity.models import LicencePool


class Command(BaseCommand):
    help = "Check the Zoom account's credentials and settings (read-only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--language", choices=["de", "en"], help="language of the output")

    def execute(self, *args: object, **options: object) -> str | None:
        with translation.override(options.get("language") or settings.LANGUAGE_CODE):
            return super().execute(*args, **options)

    def handle(self, *args: object, **options: object) -> None:
        problems: list[str] = []
        notes: list[str] = []
        if not is_enabled():
            notes.append(
                _("MEETINGS_BACKEND does not name the Zoom backend: Zoom is not governed.")
            )
        if not settings.ZOOM_WEBHOOK_SECRET:
            problems.append(_("ZOOM_WEBHOOK_SECRET is empty: webhooks would be refused."))
        api = ZoomClient()
        try:
            api.access_token(force=True)
            self.stdout.write(_("Token: obtained (Server-to-Server OAuth)."))
            summary = api.get("/users/summary") or {}
            account = api.get("/accounts/me/settings") or {}
            locks = api.get("/accounts/me/lock_settings") or {}
        except ZoomError as error:
            raise CommandError(_("Zoom: %(error)s") % {"error": error}) from None
        licensed = int(summary.get("licensed_users_count", 0))
        quota = sum(
            pool.quota
            for pool in LicencePool.objects.select_related("licence_type")
            if zoom_type_for(pool.licence_type) == LICENSED
        )
        self.stdout.write(
            _("Users at Zoom: %(total)d, of them licensed: %(licensed)d.")
            % {"total": int(summary.get("total_users_count", 0)), "licensed": licensed}
        )
        self.stdout.write(_("The portal's quota of licensed seats: %(quota)d.") % {"quota": quota})
        recording = account.get("recording") or {}
        in_meeting = account.get("in_meeting") or {}
        schedule = account.get("schedule_meeting") or {}
        if recording.get("auto_recording", "none") != "none":
            problems.append(_("Automatic recording is on for the account (it must be off)."))
        if recording.get("local_recording"):
            problems.append(
                _("Local recording is allowed: the portal cannot see or govern local recordings.")
            )
        if in_meeting.get("waiting_room") is False:
            problems.append(_("The waiting room is off by default for the account."))
        if schedule.get("join_before_host"):
            problems.append(_("Joining before the host is on by default for the account."))
        for section, name in (("recording", "auto_recording"), ("in_meeting", "waiting_room")):
            if not (locks.get(section) or {}).get(name):
                notes.append(
                    _("%(setting)s is not locked for the account (hosts may change it).")
                    % {"setting": f"{section}.{name}"}
                )
        for note in notes:
            self.stdout.write(self.style.WARNING(_("Note: %(note)s") % {"note": note}))
        for problem in problems:
            self.stdout.write(self.style.ERROR(_("Problem: %(problem)s") % {"problem": problem}))
        self.stdout.write(
            _("Requests made: %(count)d (all read-only).") % {"count": api.requests_made}
        )
        if problems:
            raise CommandError(
                ngettext("%(count)d problem found.", "%(count)d problems found.", len(problems))
                % {"count": len(problems)}
            )
        self.stdout.write(self.style.SUCCESS(_("The Zoom account is ready for the portal.")))

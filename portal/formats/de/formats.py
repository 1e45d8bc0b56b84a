"""German date and time formats of the portal: one format for every date and time shown, the
one the schedule form accepts (``01.12.2026 10:15``; docs/DESIGN-SYSTEM.md)."""

from django.conf.locale.de.formats import *  # noqa: F403 (input formats stay Django's)

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"

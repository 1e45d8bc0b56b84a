"""English date and time formats of the portal: one format for every date and time shown
(docs/DESIGN-SYSTEM.md), on the 24-hour clock. Django's defaults ("Dec. 17, 2026, 10:15 a.m.") mixed
three formats on one page and ended sentences with a double full stop after "a.m."."""

from django.conf.locale.en.formats import *  # noqa: F403 (input formats stay Django's)

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"

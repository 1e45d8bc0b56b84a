"""Recurring meetings: RFC 5545 rules expanded with python-dateutil.

A rule repeats the *local wall-clock time* of the first occurrence in the meeting's time zone:
dateutil expands naive local times, and each is then placed in the zone, so that a weekly
10:00 meeting in Europe/Berlin stays at 10:00 when daylight-saving time begins or ends (its
UTC offset changes instead). A local time that does not exist on a day (skipped by a DST
change) moves forward by the gap, the way calendar programs treat it.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_OCCURRENCES = 200
MAX_INTERVAL = 99
_FREQUENCIES = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY}


@dataclass(frozen=True)
class Rule:
    frequency: str  # DAILY, WEEKLY or MONTHLY
    interval: int = 1
    until: datetime.date | None = None
    count: int | None = None

    def as_rrule_string(self, zone: ZoneInfo) -> str:
        """The RRULE value for a calendar file (UNTIL in UTC, as RFC 5545 wants with a TZID)."""
        parts = [f"FREQ={self.frequency}", f"INTERVAL={self.interval}"]
        if self.count:
            parts.append(f"COUNT={self.count}")
        if self.until:
            until = _until_local(self.until).replace(tzinfo=zone).astimezone(datetime.UTC)
            parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
        return ";".join(parts)


def _until_local(until: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(until, datetime.time(23, 59, 59))


def validate(*, rule: Rule, first_start_local: datetime.datetime) -> None:
    """Refuse a rule that cannot be expanded into a sensible, finite series."""
    if rule.frequency not in _FREQUENCIES:
        raise ValidationError(_("Choose daily, weekly or monthly."), code="frequency")
    if not 1 <= rule.interval <= MAX_INTERVAL:
        raise ValidationError(
            _("The interval must be between 1 and %(max)d.") % {"max": MAX_INTERVAL},
            code="interval",
        )
    if (rule.until is None) == (rule.count is None):
        raise ValidationError(
            _("A series ends either on a date or after a number of occurrences: give one of them."),
            code="end",
        )
    if rule.count is not None and not 2 <= rule.count <= MAX_OCCURRENCES:
        raise ValidationError(
            _("A series has between 2 and %(max)d occurrences.") % {"max": MAX_OCCURRENCES},
            code="count",
        )
    if rule.until is not None and rule.until <= first_start_local.date():
        raise ValidationError(
            _("The end date of the series must be after the first meeting's date."), code="until"
        )
    starts = _expand_local(rule, first_start_local, limit=MAX_OCCURRENCES + 1)
    if len(starts) > MAX_OCCURRENCES:
        raise ValidationError(
            _("This series would have more than %(max)d occurrences; choose an earlier end date.")
            % {"max": MAX_OCCURRENCES},
            code="too_many",
        )
    if len(starts) < 2:
        raise ValidationError(
            _("This rule gives fewer than two meetings; schedule a single meeting instead."),
            code="too_few",
        )


def _expand_local(
    rule: Rule, first_start_local: datetime.datetime, limit: int
) -> list[datetime.datetime]:
    generator = rrule.rrule(
        _FREQUENCIES[rule.frequency],
        dtstart=first_start_local,
        interval=rule.interval,
        count=rule.count,
        until=_until_local(rule.until) if rule.until else None,
    )
    starts = []
    for start in generator:
        starts.append(start)
        if len(starts) >= limit:
            break
    return starts


def expand(
    *, rule: Rule, first_start_local: datetime.datetime, zone: ZoneInfo
) -> list[datetime.datetime]:
    """The aware start of every occurrence (in UTC), keeping the local wall-clock time."""
    return [
        localise(start, zone) for start in _expand_local(rule, first_start_local, MAX_OCCURRENCES)
    ]


def localise(local: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """Place a naive wall-clock time in ``zone``; a time skipped by DST moves forward."""
    aware = local.replace(tzinfo=zone, fold=0)
    return aware.astimezone(datetime.UTC)


def exists_in_zone(local: datetime.datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time skipped by a DST change (e.g. 02:30 on the spring day)."""
    roundtrip = localise(local, zone).astimezone(zone).replace(tzinfo=None)
    return roundtrip == local

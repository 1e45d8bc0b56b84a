"""Calendar files (RFC 5545) for invitations and the host's download.

A single meeting is one VEVENT. A series is one VEVENT with the RRULE in the series' time zone
(TZID with a VTIMEZONE, so that calendar programs keep the local time across DST), EXDATEs for
deleted occurrences, and one override VEVENT (RECURRENCE-ID) per occurrence: each occurrence
has its own meeting ID and join link, and may have been moved.

Every entry carries ``SEQUENCE`` (the meeting's or series' ``calendar_sequence``, raised by each
change sent to invitees): a calendar program replaces the entry with the same ``UID`` only by a
higher one. A deleted meeting or series is sent as ``METHOD:CANCEL`` with ``STATUS:CANCELLED``
under the same ``UID`` and a higher sequence (RFC 5546), which removes it from the calendar.
"""

import datetime
from collections.abc import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from meetings.scheduling.models import Meeting, MeetingSeries

#: Texts that other features add to a meeting's calendar entry (e.g. the announcement of a
#: planned recording), registered from ``MeetingsConfig.ready()`` so that scheduling, the base
#: of every feature, imports none of them (docs/ARCHITECTURE.md).
_description_parts: list[Callable[[Meeting], str]] = []


def register_description_part(part: Callable[[Meeting], str]) -> None:
    """Add a text to every calendar entry: ``part(meeting)`` returns it ("" for none)."""
    if part not in _description_parts:
        _description_parts.append(part)


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_known_time_zone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _uid(kind: str, pk: int) -> str:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "portal.invalid"
    return f"{kind}-{pk}@{host}"


def _description(meeting: Meeting) -> str:
    lines = [
        _("Join: %(url)s") % {"url": meeting.join_url()},
        _("Meeting ID: %(id)s") % {"id": meeting.meeting_id},
        _("Passcode: %(passcode)s") % {"passcode": meeting.passcode},
    ]
    if meeting.description:
        lines += ["", meeting.description]
    for part in _description_parts:
        text = part(meeting).strip()
        if text:
            lines += ["", text]
    privacy = f"{settings.PORTAL_BASE_URL}{reverse('portal_privacy_notice')}"
    lines += ["", _("Privacy notice: %(url)s") % {"url": privacy}]
    return "\n".join(lines)


def _event(
    meeting: Meeting,
    uid: str,
    *,
    start: datetime.datetime | None = None,
    tz: ZoneInfo | None = None,
    sequence: int | None = None,
) -> Event:
    tz = tz or zone(meeting.timezone)
    start = start or meeting.start
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.datetime.now(datetime.UTC))
    event.add("sequence", meeting.calendar_sequence if sequence is None else sequence)
    event.add("summary", meeting.topic)
    event.add("dtstart", start.astimezone(tz))
    event.add(
        "dtend", (start + datetime.timedelta(minutes=meeting.duration_minutes)).astimezone(tz)
    )
    event.add("description", _description(meeting))
    event.add("location", meeting.join_url())
    event.add("url", meeting.join_url())
    return event


def _new_calendar(method: str = "PUBLISH") -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Meeting governance portal//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    return cal


def meeting_uid(meeting: Meeting) -> str:
    return _uid("meeting", meeting.pk)


def series_uid(series: MeetingSeries) -> str:
    return _uid("series", series.pk)


def cancellation_calendar(
    *,
    uid: str,
    topic: str,
    start: datetime.datetime,
    duration_minutes: int,
    timezone: str,
    sequence: int,
) -> bytes:
    """``METHOD:CANCEL`` for the entry ``uid``: calendar programs remove it (RFC 5546)."""
    tz = zone(timezone)
    cal = _new_calendar("CANCEL")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.datetime.now(datetime.UTC))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED")
    event.add("summary", topic)
    event.add("organizer", f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", (start + datetime.timedelta(minutes=duration_minutes)).astimezone(tz))
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def meeting_calendar(meeting: Meeting) -> bytes:
    """The calendar file of one meeting (or of one occurrence on its own)."""
    cal = _new_calendar()
    cal.add_component(_event(meeting, meeting_uid(meeting)))
    cal.add_missing_timezones()
    return cal.to_ical()


def series_calendar(series: MeetingSeries) -> bytes:
    """The calendar file of a whole series: RRULE in its time zone, exceptions as overrides."""
    tz = series.zone
    occurrences = list(series.occurrences.order_by("start", "pk"))
    cal = _new_calendar()
    uid = series_uid(series)
    first = occurrences[0]
    sequence = series.calendar_sequence
    master = _event(first, uid, start=series.first_start, tz=tz, sequence=sequence)
    master.add("rrule", _rrule(series))
    present = {m.series_original_start for m in occurrences if m.series_original_start}
    deleted = [start for start in series.occurrence_starts() if start not in present]
    for start in deleted:
        master.add("exdate", start.astimezone(tz))
    cal.add_component(master)
    for occurrence in occurrences:
        override = _event(occurrence, uid, tz=tz, sequence=sequence)
        override.add(
            "recurrence-id", (occurrence.series_original_start or occurrence.start).astimezone(tz)
        )
        cal.add_component(override)
    cal.add_missing_timezones()
    return cal.to_ical()


def _rrule(series: MeetingSeries) -> dict:
    from icalendar import vRecur

    return vRecur.from_ical(series.rule().as_rrule_string(series.zone))

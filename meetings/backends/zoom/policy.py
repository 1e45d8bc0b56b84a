"""The institution's meeting policy as Zoom meeting settings, and the check for drift.

Whatever a host may choose in the portal, a Zoom meeting always gets: the portal's passcode,
waiting room on, no join before the host, registration with manual approval (the portal
approves whom it admits: docs/POLICY.md, meetings), no confirmation mails from Zoom, automatic
recording off, and sign-in with the institution's domains where the meeting is
authenticated-only.
"""

from __future__ import annotations

import datetime
from typing import Any

from meetings.scheduling.models import Meeting
from portal.identity.models import Institution

#: settings whose value the portal fixes; a different value at Zoom is drift
LOCKED_SETTINGS = (
    "waiting_room",
    "join_before_host",
    "approval_type",
    "registration_type",
    "auto_recording",
    "meeting_authentication",
    "authentication_domains",
)


def zoom_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def authentication_domains() -> str:
    institution = Institution.current()
    return ",".join(sorted({d.strip().lower() for d in institution.mail_domains if d.strip()}))


def meeting_settings(meeting: Meeting) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "waiting_room": True,
        "join_before_host": False,
        "approval_type": 1,  # manual approval: the portal approves the admitted
        "registration_type": 1,
        "registrants_confirmation_email": False,
        "registrants_email_notification": False,
        "email_notification": False,
        "alternative_hosts_email_notification": False,
        "auto_recording": "none",
        "use_pmi": False,
        "meeting_authentication": bool(meeting.authenticated_only),
    }
    if meeting.authenticated_only:
        settings["authentication_domains"] = authentication_domains()
    return settings


def portal_marker(meeting: Meeting) -> str:
    """The meeting's agenda at Zoom: names the portal's meeting ID (which participants see
    anyway), so that a create whose answer was lost is found again instead of repeated."""
    return f"{MARKER_PREFIX}{meeting.meeting_id}"


def meeting_body(meeting: Meeting) -> dict[str, Any]:
    """The request body of create and update (Zoom's ``meetingCreate`` schema)."""
    return {
        "topic": meeting.topic[:200],
        "agenda": portal_marker(meeting),
        "type": 2,
        "start_time": zoom_time(meeting.start),
        "duration": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "password": meeting.passcode,
        "settings": meeting_settings(meeting),
    }


MARKER_PREFIX = "Portal: "


def drift(meeting: Meeting, zoom: dict[str, Any]) -> list[str]:
    """Names of the fields in which Zoom's meeting differs from the portal's (no values)."""
    wanted = meeting_settings(meeting)
    found = zoom.get("settings") or {}
    changed = [
        name
        for name in LOCKED_SETTINGS
        if name in wanted and _normalise(found.get(name)) != _normalise(wanted[name])
    ]
    if zoom.get("password", "") != meeting.passcode:
        changed.append("password")
    start = zoom.get("start_time")
    if start and _parse(start) != meeting.start.replace(second=0, microsecond=0):
        changed.append("start_time")
    if zoom.get("duration") not in (None, meeting.duration_minutes):
        changed.append("duration")
    return changed


def _normalise(value: Any) -> Any:
    if isinstance(value, str) and "," in value:
        return ",".join(sorted(part.strip().lower() for part in value.split(",")))
    return value


def _parse(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(
            second=0, microsecond=0
        )
    except ValueError:
        return None

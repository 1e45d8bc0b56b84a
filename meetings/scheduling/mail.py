"""The mails about a meeting: invitation, update and cancellation, each in the recipient's
language (their last login's, else the institution's), with a text and an HTML part and a
calendar file (meetings/scheduling/calendar.py: SEQUENCE, METHOD:CANCEL).

Built by the Celery tasks at send time (meetings/scheduling/tasks.py), never inside the
request's transaction: an invitation or update is built from the database as it is then, so a
retry sends the current state; a cancellation from the snapshot taken before the deletion.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from meetings.scheduling import calendar
from meetings.scheduling.models import Invitation, Meeting
from portal.identity.models import User

INVITATION = "invitation"
UPDATE = "update"


def recipient_language(address: str) -> str:
    """The language of the person with this address (their last login), else the
    institution's (``LANGUAGE_CODE``): never the sender's."""
    known = (
        User.objects.filter(email__iexact=address)
        .exclude(language="")
        .values_list("language", flat=True)
        .first()
    )
    return known or settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    # a line break in a mail header fails the whole send
    return " ".join(text.split())


def invitation_message(invitation: Invitation, kind: str) -> EmailMultiAlternatives:
    """The invitation (``kind`` "invitation") or the notice of a change ("update")."""
    meeting = invitation.meeting
    whole_series = invitation.whole_series and meeting.series_id is not None
    if whole_series:
        meeting = _next_occurrence(meeting)
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        context = {
            "meeting": meeting,
            "whole_series": whole_series,
            "join_url": meeting.join_url(),
            "update": kind == UPDATE,
            "privacy_url": f"{settings.PORTAL_BASE_URL}{reverse('portal_privacy_notice')}",
        }
        topic = _one_line(meeting.topic)
        subject = (
            _("Changed: %(topic)s") % {"topic": topic}
            if kind == UPDATE
            else _("Invitation: %(topic)s") % {"topic": topic}
        )
        text = render_to_string("meetings/scheduling/invitation_email.txt", context)
        html = render_to_string("meetings/scheduling/invitation_email.html", context)
        ics = (
            calendar.series_calendar(meeting.series)
            if whole_series
            else calendar.meeting_calendar(meeting)
        )
    message = EmailMultiAlternatives(subject=subject, body=text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    message.attach("invitation.ics", ics, "text/calendar; charset=utf-8; method=PUBLISH")
    return message


def _next_occurrence(meeting: Meeting) -> Meeting:
    from django.utils.timezone import now

    upcoming = (
        meeting.series.occurrences.filter(status=Meeting.Status.SCHEDULED, start__gte=now())
        .order_by("start", "pk")
        .first()
    )
    return upcoming or meeting


def cancellation_snapshot(*, uid: str, meeting: Meeting, sequence: int, series: bool) -> dict:
    """What a cancellation needs after the rows are gone (no passcode, no join link)."""
    source = meeting.series if series else meeting
    start = source.first_start if series else meeting.start
    return {
        "uid": uid,
        "topic": _one_line(source.topic),
        "start": start.isoformat(),
        "duration_minutes": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "sequence": sequence,
        "meeting_id": "" if series else meeting.meeting_id,
        "series": series,
    }


def cancellation_message(
    address: str, language: str, snapshot: dict[str, Any]
) -> EmailMultiAlternatives:
    start = datetime.datetime.fromisoformat(snapshot["start"])
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {**snapshot, "start": start}
        subject = _("Cancelled: %(topic)s") % {"topic": snapshot["topic"]}
        text = render_to_string("meetings/scheduling/cancellation_email.txt", context)
        html = render_to_string("meetings/scheduling/cancellation_email.html", context)
    ics = calendar.cancellation_calendar(
        uid=snapshot["uid"],
        topic=snapshot["topic"],
        start=start,
        duration_minutes=snapshot["duration_minutes"],
        timezone=snapshot["timezone"],
        sequence=snapshot["sequence"],
    )
    message = EmailMultiAlternatives(subject=subject, body=text, to=[address])
    message.attach_alternative(html, "text/html")
    message.attach("cancellation.ics", ics, "text/calendar; charset=utf-8; method=CANCEL")
    return message

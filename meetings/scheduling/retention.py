"""Scheduling's data category for the retention engine (invitations), and what every meeting
artefact shares: a hold on the meeting keeps it, and "the end of the meeting" it counts from.
The policy's rules are listed in docs/POLICY.md.

Every category names the exact event its rules count from, and an item is expired when that
event happened at or before ``rule.cutoff(now)`` (the engine's boundary). Legal holds name the
meeting ("meetings.meeting:42"), which keeps every artefact of that meeting; item keys in the
deletion log are "meetings.<model>:<pk>", never names, addresses, chat text or titles.

"The end of the meeting" (:func:`meeting_end`) is when the meeting was ended. A meeting that
nobody ended (a crash, an abandoned room, a meeting never held) counts as ended
:data:`UNENDED_MEETING_GRACE` after its scheduled end, so that its artefacts do not stay for
ever; the grace keeps a meeting that merely overruns its schedule from losing anything while
it runs.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from meetings.scheduling.models import Invitation, Meeting, MeetingSeries
from retention.models import RetentionRule
from retention.registry import (
    DefaultRule,
    RetentionCategory,
    RetentionEvent,
    declare_personal_data,
    register,
)

#: A meeting that was never ended counts as ended this long after its scheduled end.
UNENDED_MEETING_GRACE = datetime.timedelta(days=1)

MEETING_HOLD = "meetings.meeting"
MEETING_RELATED_HOLDS = {
    "meetings.meetingseries": "meeting__series_id",
    "portal.user": "meeting__host_id",
}

#: The event most meeting artefacts count from (see :func:`meeting_end`).
MEETING_ENDED = RetentionEvent("meeting_ended", _("end of the meeting"))


def meeting_end(prefix: str = "meeting__") -> Coalesce:
    """The end of the meeting reached through ``prefix``: ``ended_at`` when it was ended, else
    its scheduled end plus :data:`UNENDED_MEETING_GRACE` (never ended: a crash during
    ``end_meeting`` rolled it back, or nobody ended the room)."""
    return Coalesce(
        F(f"{prefix}ended_at"),
        ExpressionWrapper(
            F(f"{prefix}ends_at") + UNENDED_MEETING_GRACE,
            output_field=models.DateTimeField(),
        ),
        output_field=models.DateTimeField(),
    )


class MeetingArtefact(RetentionCategory):
    """An artefact of one meeting: a hold on the meeting keeps it."""

    hold_model = MEETING_HOLD
    hold_lookup = "meeting_id"
    #: a hold on a series keeps the artefacts of its meetings; one on a person those of the
    #: meetings they host
    hold_relations = MEETING_RELATED_HOLDS


@register
class Invitations(MeetingArtefact):
    """Invitations (the invitee's address), counted from the end of the meeting; an
    invitation to a whole series from the end of the series' last occurrence."""

    identifier = "invitations"
    description = _("Invitations (invitees' addresses)")
    model = Invitation
    events = (MEETING_ENDED,)
    default_rules = (DefaultRule(MEETING_ENDED.identifier, 30),)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        series_end = (
            Meeting.objects.filter(series_id=OuterRef("meeting__series_id"))
            .order_by()
            .values("series_id")
            .annotate(last_end=Max(meeting_end(prefix="")))
            .values("last_end")
        )
        return (
            self.queryset()
            .alias(
                needed_until=Case(
                    When(
                        Q(whole_series=True, meeting__series__isnull=False),
                        then=Subquery(series_end, output_field=models.DateTimeField()),
                    ),
                    default=meeting_end(),
                    output_field=models.DateTimeField(),
                )
            )
            .filter(needed_until__lte=rule.cutoff(now))
        )


LAST_OCCURRENCE_ENDED = RetentionEvent(
    "last_occurrence_ended", _("end of the meeting, or of the last meeting of its series")
)


@register
class Meetings(RetentionCategory):
    """Meetings and series themselves (topic, description, host): some months after the
    meeting ended, for a series after its last occurrence ended; the series goes with its last
    meeting. A meeting whose recordings are still stored waits for them (they go by their own
    rules), so that no recording loses its meeting. Deleting a meeting deletes what hangs on it
    by cascade (participants, sessions, grants)."""

    identifier = "meetings"
    description = _("Meetings and series (topic, description, host)")
    model = Meeting
    events = (LAST_OCCURRENCE_ENDED,)
    default_rules = (DefaultRule(LAST_OCCURRENCE_ENDED.identifier, 6, unit="months"),)
    hold_model = MEETING_HOLD
    hold_lookup = "pk"
    hold_relations = {"meetings.meetingseries": "series_id", "portal.user": "host_id"}

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        series_end = (
            Meeting.objects.filter(series_id=OuterRef("series_id"))
            .order_by()
            .values("series_id")
            .annotate(last_end=Max(meeting_end(prefix="")))
            .values("last_end")
        )
        return (
            self.queryset()
            .exclude(status=Meeting.Status.RUNNING)
            .filter(recordings__isnull=True)
            .alias(
                needed_until=Case(
                    When(
                        series__isnull=False,
                        then=Subquery(series_end, output_field=models.DateTimeField()),
                    ),
                    default=meeting_end(prefix=""),
                    output_field=models.DateTimeField(),
                )
            )
            .filter(needed_until__lte=rule.cutoff(now))
        )

    def delete_batch(self, ids: list) -> int:
        series = set(
            Meeting.objects.filter(pk__in=ids, series__isnull=False).values_list(
                "series_id", flat=True
            )
        )
        deleted = super().delete_batch(ids)
        MeetingSeries.objects.filter(pk__in=series, occurrences__isnull=True).delete()
        return deleted


# Personal data that goes with another category's items, each with its reason (the test
# tests/retention/test_personal_data_coverage.py fails for any model left out).
for _label, _reason in (
    ("meetings.meetingseries", "Goes with its last meeting (category meetings)."),
    ("meetings.meetinguserobjectpermission", "Co-host grants: deleted with the meeting."),
    ("meetings.participant", "Deleted with the meeting (category meetings)."),
    ("meetings.recordingsession", "Deleted with the meeting once its recordings are gone."),
    ("meetings.pollreceipt", "Deleted with the poll (category poll_results)."),
    ("meetings.freetextanswer", "Deleted with the poll (category poll_results)."),
    ("meetings.namedballot", "Deleted with the poll (category poll_results)."),
    (
        "meetings.zoomuser",
        "The Zoom account's licence state of a user; the link to the user is cleared when the "
        "account is deleted (SET_NULL) and deprovisioning removes the Zoom licence.",
    ),
    ("meetings.zoomregistrant", "Deleted with its Zoom meeting (meetings/backends/zoom)."),
    (
        "meetings.zoomwebhookevent",
        "The payload is emptied as soon as the event is handled (meetings/backends/zoom).",
    ),
):
    declare_personal_data(_label, _reason)

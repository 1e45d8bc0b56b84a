"""The meetings app's data categories for the retention engine (registered in
``MeetingsConfig.ready``; policy table of DESIGN.md: chat, reports, attendance, polls,
invitations).

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
from typing import Any

from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from meetings.models import AttendanceRecord, ChatMessage, Invitation, Meeting, MeetingReport, Poll
from meetings.polls.services import delete_poll_results
from retention.models import RetentionRule
from retention.registry import RetentionCategory, register

#: A meeting that was never ended counts as ended this long after its scheduled end.
UNENDED_MEETING_GRACE = datetime.timedelta(days=1)

MEETING_HOLD = "meetings.meeting"


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


@register
class StoredChat(MeetingArtefact):
    """Chat messages, counted from when they were sent (policy: stored chat 30 days).

    Chat of a meeting that does not store it is deleted by ``end_meeting``; what is left of it
    (a meeting nobody ended) goes with the same rule, at the latest.
    """

    identifier = "chat"
    description = _("Stored in-meeting chat")
    model = ChatMessage
    events = (RetentionRule.Event.CREATED,)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


@register
class MeetingReports(MeetingArtefact):
    """Meeting reports, counted from the end of the meeting they describe (the report's own
    ``ended_at``, which stays when the meeting is deleted); policy: one month."""

    identifier = "meeting_reports"
    description = _("Meeting reports")
    model = MeetingReport
    events = (RetentionRule.Event.MEETING_ENDED,)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(ended_at__lte=rule.cutoff(now))


@register
class AttendanceLists(MeetingArtefact):
    """Attendance records, counted from the end of the meeting.

    ``end_meeting`` closes the stays and keeps the records, which are only ever written for
    meetings that require attendance. So the rule "end of the meeting" applies to meetings that
    do not require attendance (records left by a changed setting, policy: "otherwise deleted
    when the meeting ends"), the rule "end of a meeting that requires attendance" to the
    others (the admin's period); a meeting nobody ended counts from :func:`meeting_end`.
    """

    identifier = "attendance"
    description = _("Attendance lists")
    model = AttendanceRecord
    events = (
        RetentionRule.Event.MEETING_ENDED,
        RetentionRule.Event.MEETING_ENDED_ATTENDANCE_REQUIRED,
    )

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        required = rule.counts_from == RetentionRule.Event.MEETING_ENDED_ATTENDANCE_REQUIRED
        return (
            self.queryset()
            .filter(meeting__attendance_required=required)
            .alias(meeting_end=meeting_end())
            .filter(meeting_end__lte=rule.cutoff(now))
        )


@register
class PollResults(MeetingArtefact):
    """Polls with everything they hold (questions, options, counters, receipts, free-text
    answers, named ballots), counted from the end of their meeting (policy: with the meeting's
    artefacts, the report's month)."""

    identifier = "poll_results"
    description = _("Polls and their results")
    model = Poll
    events = (RetentionRule.Event.MEETING_ENDED,)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return (
            self.queryset()
            .alias(meeting_end=meeting_end())
            .filter(meeting_end__lte=rule.cutoff(now))
        )

    def delete_batch(self, ids: list[Any]) -> int:
        """One query per table of the poll's results, whatever the batch's size."""
        return delete_poll_results(poll_ids=ids)


@register
class Invitations(MeetingArtefact):
    """Invitations (the invitee's address), counted from the end of the meeting; an
    invitation to a whole series from the end of the series' last occurrence."""

    identifier = "invitations"
    description = _("Invitations (invitees' addresses)")
    model = Invitation
    events = (RetentionRule.Event.MEETING_ENDED,)

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

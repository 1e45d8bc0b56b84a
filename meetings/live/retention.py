"""The live meeting's data categories for the retention engine: stored chat, meeting reports and
attendance lists (policy in docs/POLICY.md). Holds and boundaries as in
:mod:`meetings.scheduling.retention`."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport
from meetings.scheduling.retention import MEETING_ENDED, MeetingArtefact, meeting_end
from retention.models import RetentionRule
from retention.registry import CREATED, DefaultRule, RetentionEvent, register

#: Attendance lists of meetings that require attendance stay for the admin's period.
MEETING_ENDED_ATTENDANCE_REQUIRED = RetentionEvent(
    "meeting_ended_attendance_required", _("end of a meeting that requires attendance")
)


@register
class StoredChat(MeetingArtefact):
    """Chat messages, counted from when they were sent (policy: stored chat 30 days).

    Chat of a meeting that does not store it is deleted by ``end_meeting``; what is left of it
    (a meeting nobody ended) goes with the same rule, at the latest.
    """

    identifier = "chat"
    description = _("Stored in-meeting chat")
    model = ChatMessage
    events = (CREATED,)
    default_rules = (DefaultRule(CREATED.identifier, 30),)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return self.queryset().filter(created_at__lte=rule.cutoff(now))


@register
class MeetingReports(MeetingArtefact):
    """Meeting reports, counted from the end of the meeting they describe (the report's own
    ``ended_at``, which stays when the meeting is deleted); policy: one month."""

    identifier = "meeting_reports"
    description = _("Meeting reports")
    model = MeetingReport
    events = (MEETING_ENDED,)
    default_rules = (DefaultRule(MEETING_ENDED.identifier, 1, RetentionRule.Unit.MONTHS),)

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
    events = (MEETING_ENDED, MEETING_ENDED_ATTENDANCE_REQUIRED)
    default_rules = (
        # "otherwise deleted when the meeting ends"
        DefaultRule(MEETING_ENDED.identifier, 0),
        DefaultRule(MEETING_ENDED_ATTENDANCE_REQUIRED.identifier, 6, RetentionRule.Unit.MONTHS),
    )

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        required = rule.counts_from == MEETING_ENDED_ATTENDANCE_REQUIRED.identifier
        return (
            self.queryset()
            .filter(meeting__attendance_required=required)
            .alias(meeting_end=meeting_end())
            .filter(meeting_end__lte=rule.cutoff(now))
        )

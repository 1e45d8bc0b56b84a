"""The retention categories of recordings (docs/POLICY.md, row "recordings") and of the media
server's raw recording files.

Two events, each with a default rule:

- "withdrawal of a required consent": a recording goes on the deletion date set when a consent
  it rests on was withdrawn (``deletion_due_at``: the withdrawal plus
  ``RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS``, 7 by default, announced to the host and not
  changeable by them). This rule is the only way such a recording is deleted, so that legal
  holds apply and the deletion log records it.
- "end of the need": otherwise a recording goes the rule's period after it was stored (the
  need of a recording ends with its meeting), never later than the institution maximum.

Recordings carry files: the engine marks a batch (nobody is offered the files any more),
deletes the files outside any transaction, then the rows (``retention/README.md``).

Raw files (category ``raw_recordings``): Janus writes one file per stream while a session is
recorded; a Celery task converts them into the recording and deletes them. When that never
happens they must not stay for ever, so two events, each with a default rule:

- "final failure of the conversion" (the retries are exhausted; the hosts were told): the raw
  files go 7 days later, time for the operators to look into the failure.
- "stop of a recording whose conversion never finished" (the task was lost): 2 days after the
  stop, long after the retries would have ended (about half an hour). A session that never
  stopped (the portal or the media server died while it ran) counts from the end of its
  meeting; a recording in a meeting that still runs is never touched.
"""

import datetime
from typing import Any

from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _

from meetings.recordings import services as recording_services
from meetings.recordings.models import RawRecording, Recording
from meetings.scheduling.retention import MEETING_RELATED_HOLDS
from retention.models import RetentionRule
from retention.registry import DefaultRule, RetentionCategory, RetentionEvent, register

CONSENT_WITHDRAWN = RetentionEvent("consent_withdrawn", _("withdrawal of a required consent"))
NEED_ENDED = RetentionEvent("need_ended", _("end of the need (period set by the host)"))


@register
class Recordings(RetentionCategory):
    identifier = "recordings"
    description = _("Recordings of meetings (files and their records)")
    model = Recording
    events = (CONSENT_WITHDRAWN, NEED_ENDED)
    default_rules = (
        # the period is announced with the deletion date (deletion_due_at), see expired()
        DefaultRule(CONSENT_WITHDRAWN.identifier, 7),
        # the host's period when they chose one (else 30 days), at most the maximum
        DefaultRule(NEED_ENDED.identifier, 30, maximum_days=180),
    )
    hold_model = "meetings.meeting"  # a hold on "meetings.meeting:42" keeps its recordings
    hold_lookup = "meeting_id"
    hold_relations = MEETING_RELATED_HOLDS
    has_files = True
    max_batch_size = 50  # file deletions take time: a batch stays within the heartbeat window

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        if rule.counts_from == CONSENT_WITHDRAWN.identifier:
            return recording_services.recordings_due_for_deletion(until=now)
        cutoff = rule.cutoff(now)
        if rule.maximum_days is None:
            # no period per recording: the rule's period for all
            return Recording.objects.filter(created_at__lte=cutoff)
        maximum_cutoff = now - datetime.timedelta(days=rule.maximum_days)
        # the host's period where they chose one, never past the institution maximum
        chosen_end = ExpressionWrapper(
            F("created_at") + F("keep_days") * datetime.timedelta(days=1),
            output_field=models.DateTimeField(),
        )
        return Recording.objects.alias(chosen_end=chosen_end).filter(
            Q(created_at__lte=maximum_cutoff)
            | Q(keep_days__isnull=True, created_at__lte=max(cutoff, maximum_cutoff))
            | Q(keep_days__isnull=False, chosen_end__lte=now)
        )

    def mark_batch(self, ids: list[Any]) -> None:
        recording_services.mark_recordings_for_deletion(ids)

    def delete_files(self, ids: list[Any]) -> None:
        recording_services.delete_recording_files(ids)

    def delete_batch(self, ids: list[Any]) -> int:
        return recording_services.delete_recording_rows(ids)


CONVERSION_FAILED = RetentionEvent("conversion_failed", _("final failure of the conversion"))
CONVERSION_ABANDONED = RetentionEvent(
    "conversion_abandoned", _("stop of a recording whose conversion never finished")
)


@register
class RawRecordings(RetentionCategory):
    identifier = "raw_recordings"
    description = _("Raw recording files on the media server that were not converted")
    model = RawRecording
    events = (CONVERSION_FAILED, CONVERSION_ABANDONED)
    default_rules = (
        DefaultRule(CONVERSION_FAILED.identifier, 7),
        DefaultRule(CONVERSION_ABANDONED.identifier, 2),
    )
    hold_model = "meetings.meeting"  # a hold on the meeting keeps its raw files too
    hold_lookup = "meeting_id"
    hold_relations = MEETING_RELATED_HOLDS
    has_files = True
    max_batch_size = 50

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        if rule.counts_from == CONVERSION_FAILED.identifier:
            return recording_services.raw_recordings_failed(until=rule.cutoff(now))
        return recording_services.raw_recordings_abandoned(until=rule.cutoff(now))

    def mark_batch(self, ids: list[Any]) -> None:
        recording_services.mark_raw_recordings_for_deletion(ids)

    def delete_files(self, ids: list[Any]) -> None:
        recording_services.delete_raw_recording_files(ids)

    def delete_batch(self, ids: list[Any]) -> int:
        return recording_services.delete_raw_recording_rows(ids)

"""The polls' data category for the retention engine: polls with all their results (policy in
docs/POLICY.md). Holds and boundaries as in :mod:`meetings.scheduling.retention`."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.polls.models import Poll
from meetings.polls.services import delete_poll_results
from meetings.scheduling.retention import MEETING_ENDED, MeetingArtefact, meeting_end
from retention.models import RetentionRule
from retention.registry import DefaultRule, register


@register
class PollResults(MeetingArtefact):
    """Polls with everything they hold (questions, options, counters, receipts, free-text
    answers, named ballots), counted from the end of their meeting (policy: with the meeting's
    artefacts, the report's month)."""

    identifier = "poll_results"
    description = _("Polls and their results")
    model = Poll
    events = (MEETING_ENDED,)
    default_rules = (DefaultRule(MEETING_ENDED.identifier, 1, RetentionRule.Unit.MONTHS),)

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        return (
            self.queryset()
            .alias(meeting_end=meeting_end())
            .filter(meeting_end__lte=rule.cutoff(now))
        )

    def delete_batch(self, ids: list[Any]) -> int:
        """One query per table of the poll's results, whatever the batch's size."""
        return delete_poll_results(poll_ids=ids)

"""What only the poll tests need: reading a poll's questions and counts, ageing its meeting.

People, meetings and polls come from ``tests.factories``.
"""

import datetime

from django.utils.timezone import now

from meetings.polls.models import Poll
from meetings.scheduling.models import Meeting


def option_ids(poll: Poll, question_position: int) -> list[int]:
    question = poll.questions.get(position=question_position)
    return list(question.options.values_list("pk", flat=True))


def question_id(poll: Poll, position: int) -> int:
    return poll.questions.get(position=position).pk


def counts(poll: Poll) -> dict[str, int]:
    return {
        f"{tally.option.question.position}:{tally.option.text}": tally.count
        for tally in poll.tallies.select_related("option__question")
    }


def ended_long_ago(meeting: Meeting, days: int = 40) -> None:
    meeting.status = Meeting.Status.ENDED
    meeting.ended_at = now() - datetime.timedelta(days=days)
    meeting.save()

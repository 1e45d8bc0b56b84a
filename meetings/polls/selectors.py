"""Read queries of polls: who may vote or host, what a room shows, results as people see them."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import QuerySet

from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key, participant_for
from meetings.polls.models import FreeTextAnswer, NamedBallot, Poll, PollReceipt
from meetings.scheduling.models import Meeting


def participant_of(
    *, meeting: Meeting, user: AbstractBaseUser | AnonymousUser, session: SessionBase | dict
) -> Participant | None:
    """The caller's participant row in ``meeting``: by user when logged in, else by the guest
    key the join flow keeps in the browser session."""
    return participant_for(
        meeting=meeting, user=user, guest_key=session.get(guest_session_key(meeting))
    )


def eligible_voter(
    *, meeting: Meeting, user: AbstractBaseUser | AnonymousUser, session: SessionBase | dict
) -> Participant | None:
    """The caller's participant row if they are admitted to the meeting (eligible to vote)."""
    participant = participant_of(meeting=meeting, user=user, session=session)
    if participant is None or not participant.is_admitted:
        return None
    return participant


@dataclass
class RoomPoll:
    poll: Poll
    has_voted: bool
    results: "PollResults | None" = None


def polls_in_room(*, meeting: Meeting, participant: Participant | None) -> list[RoomPoll]:
    """Open polls of the meeting as a participant's room shows them, with whether they voted
    and, where the poll shows live totals, the totals."""
    polls = list(
        meeting.polls.filter(status=Poll.Status.OPEN).prefetch_related("questions__options")
    )
    voted: set[int] = set()
    if participant is not None and polls:
        voted = set(
            PollReceipt.objects.filter(participant=participant, poll__in=polls).values_list(
                "poll_id", flat=True
            )
        )
    return [
        RoomPoll(
            poll=poll,
            has_voted=poll.pk in voted,
            results=poll_results(poll=poll) if poll.results_visible else None,
        )
        for poll in polls
    ]


def closed_polls(*, meeting: Meeting) -> QuerySet[Poll]:
    return meeting.polls.filter(status=Poll.Status.CLOSED)


# --- results ------------------------------------------------------------------------------


@dataclass
class OptionResult:
    text: str
    count: int
    hidden: bool  # the poll's results are withheld (too few ballots): no count is shown
    threshold: int = 0

    @property
    def shown(self) -> str:
        if self.hidden:
            return "–"
        return str(self.count)


@dataclass
class QuestionResult:
    text: str
    is_text: bool
    options: list[OptionResult] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    answer_count: int = 0
    answers_hidden: bool = False


@dataclass
class PollResults:
    poll: Poll
    voters: int
    questions: list[QuestionResult]
    # fewer ballots than the poll's minimum: no count of any option is shown
    withheld: bool = False
    threshold: int = 1


def poll_results(*, poll: Poll) -> PollResults:
    """Totals per option and free-text answers sorted by text (never in storage order).

    The rule of polls that are not named (docs/POLICY.md, "Poll results"): the counts are
    shown, exactly and every one of them (0 too), once at least ``min_count_shown`` ballots
    were cast in total; below that, no count at all, only the number of ballots. A single
    small count beside exact others would say who voted what in a group of five (the host
    sees who is in the room); a whole result withheld says nothing. A question's free-text
    answers show only when at least ``min_count_shown`` were given; secret ballots show
    totals and no texts at all. Unanimous results are shown: withholding them would itself
    tell that they were unanimous."""
    threshold = poll.min_count_shown if poll.hides_small_counts else 1
    voters = PollReceipt.objects.filter(poll=poll).count()
    withheld = voters < threshold
    texts: dict[int, list[str]] = {}
    for question_id, text in FreeTextAnswer.objects.filter(question__poll=poll).values_list(
        "question_id", "text"
    ):
        texts.setdefault(question_id, []).append(text)
    questions = []
    for question in poll.questions.prefetch_related("options__tally"):
        result = QuestionResult(text=question.text, is_text=question.is_text)
        if question.is_text:
            answers = sorted(texts.get(question.pk, []), key=str.casefold)
            result.answer_count = len(answers)
            result.answers_hidden = poll.is_secret or len(answers) < threshold
            result.answers = [] if result.answers_hidden else answers
        else:
            for option in question.options.all():
                result.options.append(
                    OptionResult(
                        text=option.text,
                        count=option.tally.count,
                        hidden=withheld,
                        threshold=threshold,
                    )
                )
        questions.append(result)
    return PollResults(
        poll=poll, voters=voters, questions=questions, withheld=withheld, threshold=threshold
    )


def named_ballots(*, poll: Poll) -> QuerySet[NamedBallot]:
    """Who answered what: only ever for a named poll."""
    if not poll.is_named:
        return NamedBallot.objects.none()
    return NamedBallot.objects.filter(poll=poll).select_related("question", "option")


# --- retention ----------------------------------------------------------------------------


def polls_of_ended_meetings_before(cutoff: datetime.datetime) -> QuerySet[Poll]:
    """Polls (with their results) of meetings that ended before ``cutoff``: what the
    retention engine may delete with the meeting's other artefacts
    (``meetings.polls.services.delete_poll_results``)."""
    return Poll.objects.filter(
        meeting__status=Meeting.Status.ENDED, meeting__ended_at__lt=cutoff
    ).order_by("pk")


# --- the live room ----------------------------------------------------------------------------


def host_polls(*, meeting: Meeting) -> QuerySet[Poll]:
    """All polls of the meeting for the host's console in the room (launch, close, results)."""
    return meeting.polls.order_by("pk")


def room_panel_context(*, meeting: Meeting, participant: Participant | None) -> dict:
    """What the room's poll panel shows a participant: the open polls and links to results."""
    return {
        "meeting": meeting,
        "participant": participant,
        "room_polls": polls_in_room(meeting=meeting, participant=participant),
        "closed_polls": closed_polls(meeting=meeting),
    }

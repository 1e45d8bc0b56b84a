"""Meetings, participants and polls made directly in the database for the poll tests."""

import datetime
import itertools

from django.utils.timezone import now

from meetings.live.models import Participant
from meetings.polls import services
from meetings.polls.models import Poll
from meetings.scheduling.models import Meeting
from portal.identity.models import User

_numbers = itertools.count(1)


def make_user(name: str = "") -> User:
    name = name or f"person{next(_numbers)}"
    return User.objects.create_user(name, display_name=name.title())


def make_meeting(host: User | None = None, *, status: str = Meeting.Status.RUNNING) -> Meeting:
    return Meeting.objects.create(
        host=host or make_user(),
        topic="Faculty council",
        start=now(),
        duration_minutes=60,
        status=status,
    )


def admit(meeting: Meeting, user: User | None = None, **fields) -> Participant:
    user = user if user is not None else make_user()
    return Participant.objects.create(
        meeting=meeting,
        user=user,
        display_name=user.shown_name,
        state=Participant.State.ADMITTED,
        **fields,
    )


def admit_guest(meeting: Meeting, guest_key: str, name: str = "Guest") -> Participant:
    return Participant.objects.create(
        meeting=meeting, guest_key=guest_key, display_name=name, state=Participant.State.ADMITTED
    )


def make_poll(meeting: Meeting, *, launch: bool = True, kind: str = Poll.Kind.ANONYMOUS, **kw):
    """A poll with a single-choice, a multiple-choice (1 to 2 of 4) and a free-text question."""
    poll = services.create_poll(meeting=meeting, title="Budget 2027", kind=kind, **kw)
    services.add_question(
        poll=poll, text="Adopt the budget?", type="single", options=["Yes", "No", "Abstain"]
    )
    if kind != Poll.Kind.SECRET:
        services.add_question(
            poll=poll,
            text="Which projects?",
            type="multiple",
            options=["Library", "Lab", "Canteen", "Sports"],
            min_choices=1,
            max_choices=2,
        )
        services.add_question(poll=poll, text="Comments", type="text", max_length=200)
    if launch:
        services.launch_poll(poll=poll)
        poll.refresh_from_db()
    return poll


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

"""Votes at once on PostgreSQL: exact tallies, one vote per participant across connections.

Each thread uses its own database connection (Django opens one per thread), so these are real
concurrent transactions, as from several server processes.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from meetings.live.models import Participant
from meetings.polls import services
from meetings.polls.models import NamedBallot, PollReceipt
from meetings.polls.services import VoteRefused
from tests.factories import admit_guest, make_meeting, make_poll
from tests.meetings.polls.helpers import counts, option_ids, question_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOTERS = 300
CONNECTIONS = 40  # PostgreSQL's max_connections (100) is shared with other test runs


def _in_own_connection(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


def test_300_voters_at_once_leave_exact_tallies_and_300_receipts():
    poll = make_poll(make_meeting())
    meeting = poll.meeting
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            guest_key=f"g{i}",
            display_name=f"Guest {i}",
            state=Participant.State.ADMITTED,
        )
        for i in range(VOTERS)
    )
    voters = list(Participant.objects.filter(meeting=meeting).order_by("pk"))
    single, multiple = option_ids(poll, 0), option_ids(poll, 1)
    q_single, q_multiple, q_text = (question_id(poll, i) for i in range(3))
    start = threading.Barrier(CONNECTIONS)

    @_in_own_connection
    def vote(index: int) -> None:
        if index < CONNECTIONS:
            start.wait()  # the first wave starts together
        answers = {
            q_single: [str(single[index % 3])],
            q_multiple: [str(multiple[index % 4]), str(multiple[(index + 1) % 4])],
            q_text: [f"answer {index}"],
        }
        services.cast_vote(poll=poll, participant=voters[index], answers=answers)

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        list(pool.map(vote, range(VOTERS)))

    assert counts(poll) == {
        "0:Yes": 100,
        "0:No": 100,
        "0:Abstain": 100,
        "1:Library": 150,
        "1:Lab": 150,
        "1:Canteen": 150,
        "1:Sports": 150,
    }
    assert PollReceipt.objects.filter(poll=poll).count() == VOTERS
    assert poll.questions.get(position=2).free_text_answers.count() == VOTERS


def test_the_same_voter_from_two_connections_at_once_counts_once():
    poll = make_poll(make_meeting())
    answers = {
        question_id(poll, 0): [str(option_ids(poll, 0)[0])],
        question_id(poll, 1): [str(option_ids(poll, 1)[0])],
    }
    rounds = 20
    voters = [admit_guest(poll.meeting, f"k{i}", name="G") for i in range(rounds)]
    outcomes: list[str] = []

    for voter in voters:
        start = threading.Barrier(2)

        @_in_own_connection
        def vote(_, voter=voter, start=start) -> str:
            start.wait()
            try:
                services.cast_vote(poll=poll, participant=voter, answers=answers)
            except VoteRefused:
                return "refused"
            return "counted"

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes.append("".join(sorted(pool.map(vote, range(2)))))

    assert outcomes == ["countedrefused"] * rounds
    assert counts(poll)["0:Yes"] == rounds
    assert counts(poll)["1:Library"] == rounds
    assert PollReceipt.objects.filter(poll=poll).count() == rounds


def test_no_vote_commits_after_the_close():
    poll = make_poll(make_meeting())
    voters = [admit_guest(poll.meeting, f"c{i}", name="G") for i in range(60)]
    answers = {
        question_id(poll, 0): [str(option_ids(poll, 0)[1])],
        question_id(poll, 1): [str(option_ids(poll, 1)[1])],
    }
    start = threading.Barrier(21)

    @_in_own_connection
    def vote(voter) -> bool:
        start.wait()
        try:
            services.cast_vote(poll=poll, participant=voter, answers=answers)
        except VoteRefused:
            return False
        return True

    @_in_own_connection
    def close(_) -> bool:
        start.wait()
        services.close_poll(poll=poll)
        return True

    with ThreadPoolExecutor(max_workers=21) as pool:
        futures = [pool.submit(vote, voter) for voter in voters[:20]]
        futures.append(pool.submit(close, None))
        results = [f.result() for f in futures]
    counted = sum(results[:-1])
    # everything counted is in the tallies and receipts, nothing else
    assert counts(poll)["0:No"] == counted
    assert PollReceipt.objects.filter(poll=poll).count() == counted
    with pytest.raises(VoteRefused):
        services.cast_vote(poll=poll, participant=voters[-1], answers=answers)


def test_outside_a_transaction_a_vote_is_one_statement_and_keeps_every_part(
    django_assert_num_queries,
):
    """What a server does (autocommit): receipt, all counters, free text and named ballots in
    one statement that commits on its own."""
    poll = make_poll(make_meeting(), kind="named")
    first, second = (admit_guest(poll.meeting, f"s{i}", name=f"Guest {i}") for i in range(2))
    answers = {
        question_id(poll, 0): [str(option_ids(poll, 0)[2])],
        question_id(poll, 1): [str(option_ids(poll, 1)[0]), str(option_ids(poll, 1)[3])],
        question_id(poll, 2): ["Good"],
    }
    services.cast_vote(poll=poll, participant=first, answers=answers)  # reads the questions
    with django_assert_num_queries(1):
        services.cast_vote(poll=poll, participant=second, answers=answers)
    assert counts(poll) == {
        "0:Yes": 0,
        "0:No": 0,
        "0:Abstain": 2,
        "1:Library": 2,
        "1:Lab": 0,
        "1:Canteen": 0,
        "1:Sports": 2,
    }
    assert PollReceipt.objects.filter(poll=poll).count() == 2
    assert poll.questions.get(position=2).free_text_answers.count() == 2
    named = set(NamedBallot.objects.filter(poll=poll).values_list("voter_name", "text"))
    assert named == {("Guest 0", ""), ("Guest 0", "Good"), ("Guest 1", ""), ("Guest 1", "Good")}
    assert NamedBallot.objects.filter(poll=poll, participant=second).count() == 4
    with pytest.raises(VoteRefused):
        services.cast_vote(poll=poll, participant=second, answers=answers)
    assert counts(poll)["0:Abstain"] == 2

"""Preparing, launching, voting in and closing polls (meetings.polls.services)."""

import datetime

import pytest
from django.utils import translation
from django.utils.timezone import now

from meetings.live.models import Participant
from meetings.polls import selectors, services
from meetings.polls.models import FreeTextAnswer, NamedBallot, Poll, PollReceipt
from meetings.polls.services import PollError, VoteRefused
from meetings.scheduling.models import Meeting
from tests.factories import admit, make_meeting, make_poll
from tests.meetings.polls.helpers import counts, ended_long_ago, option_ids, question_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def a_valid_vote(poll: Poll, single: int = 0, multiple: tuple[int, ...] = (0,), text: str = ""):
    answers = {question_id(poll, 0): [str(option_ids(poll, 0)[single])]}
    if poll.questions.count() > 1:
        answers[question_id(poll, 1)] = [str(option_ids(poll, 1)[i]) for i in multiple]
        answers[question_id(poll, 2)] = [text]
    return answers


def test_a_new_poll_is_anonymous_unless_named_is_chosen():
    meeting = make_meeting()
    poll = services.create_poll(meeting=meeting, title="Lunch")
    assert poll.kind == Poll.Kind.ANONYMOUS
    assert poll.status == Poll.Status.DRAFT


def test_it_refuses_live_totals_for_a_secret_ballot():
    with pytest.raises(PollError, match="secret ballot"):
        services.create_poll(meeting=make_meeting(), title="Dean", kind="secret", live_results=True)
    assert not Poll.objects.exists()


def test_it_refuses_free_text_in_a_secret_ballot():
    poll = services.create_poll(meeting=make_meeting(), title="Dean", kind="secret")
    with pytest.raises(PollError):
        services.add_question(poll=poll, text="Why?", type="text")
    assert not poll.questions.exists()


def test_it_refuses_impossible_choice_limits():
    poll = services.create_poll(meeting=make_meeting(), title="Projects")
    with pytest.raises(PollError):
        services.add_question(
            poll=poll,
            text="Which?",
            type="multiple",
            options=["A", "B"],
            min_choices=2,
            max_choices=3,
        )
    with pytest.raises(PollError):
        services.add_question(poll=poll, text="Which?", type="single", options=["Only one"])
    assert not poll.questions.exists()


def test_it_creates_a_counter_at_zero_for_each_option():
    poll = make_poll(make_meeting(), launch=False)
    assert set(counts(poll).values()) == {0}
    assert len(counts(poll)) == 7


def test_it_launches_only_in_a_running_meeting():
    meeting = make_meeting(status=Meeting.Status.SCHEDULED)
    poll = make_poll(meeting, launch=False)
    with pytest.raises(PollError, match="running"):
        services.launch_poll(poll=poll)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.DRAFT


def test_it_refuses_to_change_a_launched_poll():
    poll = make_poll(make_meeting())
    with pytest.raises(PollError):
        services.add_question(poll=poll, text="More?", type="single", options=["a", "b"])
    with pytest.raises(PollError):
        services.delete_question(question=poll.questions.first())
    assert poll.questions.count() == 3


def test_it_counts_a_vote_in_tallies_and_a_receipt():
    poll = make_poll(make_meeting())
    voter = admit(poll.meeting)
    services.cast_vote(poll=poll, participant=voter, answers=a_valid_vote(poll, 1, (0, 3), "Fine"))
    assert counts(poll) == {
        "0:Yes": 0,
        "0:No": 1,
        "0:Abstain": 0,
        "1:Library": 1,
        "1:Lab": 0,
        "1:Canteen": 0,
        "1:Sports": 1,
    }
    assert PollReceipt.objects.filter(poll=poll, participant=voter).count() == 1
    assert list(FreeTextAnswer.objects.values_list("text", flat=True)) == ["Fine"]
    assert not NamedBallot.objects.exists()


def test_it_writes_a_vote_in_a_bounded_number_of_queries(django_assert_num_queries):
    poll = make_poll(make_meeting())
    voter = admit(poll.meeting)
    answers = a_valid_vote(poll, 0, (0,), "Fine")
    # questions, options; savepoint, the vote's one statement, release
    with django_assert_num_queries(5):
        services.cast_vote(poll=poll, participant=voter, answers=answers)
    # the questions of a launched poll cannot change: the next vote does not read them again
    second = admit(poll.meeting)
    with django_assert_num_queries(3):
        services.cast_vote(poll=poll, participant=second, answers=answers)
    assert counts(poll)["0:Yes"] == 2
    assert poll.questions.get(position=2).free_text_answers.count() == 2


def test_a_named_poll_keeps_names_with_the_answers():
    poll = make_poll(make_meeting(), kind="named")
    voter = admit(poll.meeting)
    services.cast_vote(poll=poll, participant=voter, answers=a_valid_vote(poll, 0, (1,), "Ok"))
    ballots = list(selectors.named_ballots(poll=poll))
    assert {(b.voter_name, b.option.text if b.option else b.text) for b in ballots} == {
        (voter.display_name, "Yes"),
        (voter.display_name, "Lab"),
        (voter.display_name, "Ok"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "twice",
        "closed",
        "draft",
        "other_meeting",
        "too_many",
        "too_few",
        "foreign_option",
        "oversized_text",
        "not_admitted",
        "garbage",
        "unknown_question",
        "same_option_twice",
    ],
)
def test_it_refuses_bad_votes_and_changes_no_tally(case):
    poll = make_poll(make_meeting())
    voter = admit(poll.meeting)
    answers = a_valid_vote(poll)
    if case == "twice":
        services.cast_vote(poll=poll, participant=voter, answers=answers)
    elif case == "closed":
        services.close_poll(poll=poll)
        poll.refresh_from_db()
    elif case == "draft":
        poll = make_poll(poll.meeting, launch=False)
        answers = a_valid_vote(poll)
    elif case == "other_meeting":
        voter = admit(make_meeting())
    elif case == "too_many":
        answers[question_id(poll, 1)] = [str(i) for i in option_ids(poll, 1)[:3]]
    elif case == "too_few":
        answers[question_id(poll, 1)] = []
    elif case == "foreign_option":
        answers[question_id(poll, 0)] = [str(option_ids(poll, 1)[0])]
    elif case == "oversized_text":
        answers[question_id(poll, 2)] = ["x" * 201]
    elif case == "not_admitted":
        voter.state = Participant.State.WAITING
        voter.save()
    elif case == "garbage":
        answers[question_id(poll, 0)] = ["1; DROP TABLE"]
    elif case == "unknown_question":
        answers[10**9] = ["1"]
    elif case == "same_option_twice":
        answers[question_id(poll, 1)] = [str(option_ids(poll, 1)[0])] * 2
    before = counts(poll), PollReceipt.objects.count(), FreeTextAnswer.objects.count()
    with pytest.raises(VoteRefused) as refusal:
        services.cast_vote(poll=poll, participant=voter, answers=answers)
    assert str(refusal.value)  # a message for the voter
    assert (counts(poll), PollReceipt.objects.count(), FreeTextAnswer.objects.count()) == before


def test_closing_keeps_totals_and_answers_but_renews_their_keys():
    poll = make_poll(make_meeting())
    voters = [admit(poll.meeting) for _ in range(4)]
    for index, voter in enumerate(voters):
        services.cast_vote(
            poll=poll, participant=voter, answers=a_valid_vote(poll, index % 2, (0,), f"c{index}")
        )
    receipt_ids = set(PollReceipt.objects.values_list("pk", flat=True))
    answer_ids = set(FreeTextAnswer.objects.values_list("pk", flat=True))
    before = counts(poll)
    services.close_poll(poll=poll)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED
    assert counts(poll) == before
    assert sorted(FreeTextAnswer.objects.values_list("text", flat=True)) == ["c0", "c1", "c2", "c3"]
    assert set(PollReceipt.objects.values_list("participant_id", flat=True)) == {
        v.pk for v in voters
    }
    assert receipt_ids.isdisjoint(PollReceipt.objects.values_list("pk", flat=True))
    assert answer_ids.isdisjoint(FreeTextAnswer.objects.values_list("pk", flat=True))


def test_results_below_the_minimum_show_no_count_and_few_free_text_answers_stay_hidden():
    poll = make_poll(make_meeting(), min_count_shown=4)
    for index in range(3):
        services.cast_vote(
            poll=poll,
            participant=admit(poll.meeting),
            answers=a_valid_vote(
                poll, 0 if index < 2 else 1, (0,), "only me" if index == 0 else ""
            ),
        )
    services.close_poll(poll=poll)
    poll.refresh_from_db()
    results = selectors.poll_results(poll=poll)
    assert results.withheld
    shown = {option.text: option.shown for option in results.questions[0].options}
    assert shown == {"Yes": "–", "No": "–", "Abstain": "–"}  # no exact 0 beside the others
    assert results.questions[2].answers_hidden
    assert results.questions[2].answers == []
    assert results.voters == 3


def test_a_secret_ballot_shows_nothing_before_the_close():
    poll = make_poll(make_meeting(), kind="secret")
    assert not poll.results_visible
    services.close_poll(poll=poll)
    poll.refresh_from_db()
    assert poll.results_visible


def test_retention_finds_polls_of_meetings_ended_before_the_cutoff_and_deletes_them():
    old = make_poll(make_meeting())
    services.cast_vote(poll=old, participant=admit(old.meeting), answers=a_valid_vote(old))
    services.close_poll(poll=old)
    ended_long_ago(old.meeting)
    recent = make_poll(make_meeting())
    found = list(selectors.polls_of_ended_meetings_before(now() - datetime.timedelta(days=30)))
    assert found == [Poll.objects.get(pk=old.pk)]
    assert services.delete_poll_results(poll_ids=[old.pk]) == 1
    assert services.delete_poll_results(poll_ids=[old.pk]) == 0
    assert not Poll.objects.filter(pk=old.pk).exists()
    assert not PollReceipt.objects.filter(poll_id=old.pk).exists()
    assert not FreeTextAnswer.objects.exists()
    assert Poll.objects.filter(pk=recent.pk).exists()

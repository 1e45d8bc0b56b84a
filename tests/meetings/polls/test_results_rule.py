"""The rule for poll results (docs/POLICY.md, "Poll results"): no count before at least
``min_count_shown`` ballots (3 by default), exact counts from then on, in the room, after the
close and in the CSV; the poll form explains it and refuses a minimum below 3."""

import csv
import io

import pytest

from meetings.polls import selectors, services
from meetings.polls.models import Poll
from tests.factories import admit, make_meeting, make_poll
from tests.meetings.polls.helpers import option_ids, question_id

pytestmark = pytest.mark.django_db


def vote(poll: Poll, choices: list[int]) -> None:
    for choice in choices:
        answers = {question_id(poll, 0): [str(option_ids(poll, 0)[choice])]}
        if poll.questions.count() > 1:
            answers[question_id(poll, 1)] = [str(option_ids(poll, 1)[0])]
            answers[question_id(poll, 2)] = [""]
        services.cast_vote(poll=poll, participant=admit(poll.meeting), answers=answers)


def closed_seminar_poll(choices: list[int], **fields: object) -> Poll:
    poll = make_poll(make_meeting(), kind=Poll.Kind.SECRET, **fields)
    vote(poll, choices)
    services.close_poll(poll=poll)
    poll.refresh_from_db()
    return poll


def shown(poll: Poll) -> dict[str, str]:
    results = selectors.poll_results(poll=poll)
    return {option.text: option.shown for option in results.questions[0].options}


def test_no_votes_show_no_counts():
    poll = closed_seminar_poll([])
    results = selectors.poll_results(poll=poll)
    assert results.withheld
    assert results.voters == 0
    assert shown(poll) == {"Yes": "–", "No": "–", "Abstain": "–"}


def test_two_votes_show_no_counts_not_even_a_zero():
    poll = closed_seminar_poll([0, 1])
    assert selectors.poll_results(poll=poll).withheld
    assert set(shown(poll).values()) == {"–"}


def test_three_votes_in_a_seminar_show_exact_counts_zero_included():
    poll = closed_seminar_poll([0, 0, 1])
    assert not selectors.poll_results(poll=poll).withheld
    assert shown(poll) == {"Yes": "2", "No": "1", "Abstain": "0"}


def test_a_unanimous_result_is_shown_as_it_is():
    # withholding it would tell everyone that it was unanimous
    poll = closed_seminar_poll([0, 0, 0, 0, 0])
    assert shown(poll) == {"Yes": "5", "No": "0", "Abstain": "0"}


def test_a_named_poll_shows_every_count():
    poll = make_poll(make_meeting(), kind=Poll.Kind.NAMED)
    vote(poll, [1])
    services.close_poll(poll=poll)
    poll.refresh_from_db()
    assert shown(poll)["No"] == "1"


def test_live_totals_follow_the_same_rule_in_the_room(client):
    poll = make_poll(make_meeting(), live_results=True)
    vote(poll, [0, 1])
    assert poll.results_visible
    assert selectors.poll_results(poll=poll).withheld
    vote(poll, [0])
    assert shown(poll) == {"Yes": "2", "No": "1", "Abstain": "0"}


def export(client, poll: Poll) -> list[list[str]]:
    client.force_login(poll.meeting.host)
    response = client.get(
        f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/results.csv",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_holds_exact_counts_from_three_votes(client):
    rows = export(client, closed_seminar_poll([0, 0, 1]))
    assert ["Adopt the budget?", "Yes", "2"] in rows
    assert ["Adopt the budget?", "Abstain", "0"] in rows
    assert ["voters", "", "3"] in rows


def test_the_csv_holds_no_count_below_the_minimum(client):
    rows = export(client, closed_seminar_poll([0, 1]))
    assert ["Adopt the budget?", "(too few votes to show counts)", ""] in rows
    assert not any(row[1] in {"Yes", "No", "Abstain"} for row in rows if len(row) > 1)


def test_the_results_page_explains_why_counts_are_missing(client):
    poll = closed_seminar_poll([0, 1])
    client.force_login(poll.meeting.host)
    body = client.get(
        f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/results/",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "The counts are shown once at least 3 people have voted" in body
    assert 'class="poll-totals"' not in body


def test_the_poll_form_explains_the_rule_and_refuses_a_minimum_below_three(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    page = client.get(f"/meetings/{meeting.meeting_id}/polls/", HTTP_ACCEPT_LANGUAGE="en")
    assert "only once at least this many people have voted" in page.content.decode()
    response = client.post(
        f"/meetings/{meeting.meeting_id}/polls/",
        {"title": "Lunch", "kind": "anonymous", "min_count_shown": 2},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not Poll.objects.exists()

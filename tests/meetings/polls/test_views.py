"""Poll pages: hosts prepare, launch, close and export; admitted participants vote."""

import pytest
from django.urls import reverse

from meetings.live.selectors import guest_session_key
from meetings.polls import services
from meetings.polls.models import FreeTextAnswer, Poll, PollReceipt
from tests.factories import admit, admit_guest, make_meeting, make_poll, make_user
from tests.meetings.polls.helpers import counts, option_ids, question_id

pytestmark = pytest.mark.django_db


def url(name: str, poll: Poll | None = None, meeting=None, **kwargs) -> str:
    meeting = meeting or poll.meeting
    if poll is not None:
        kwargs["poll_pk"] = poll.pk
    return reverse(f"meetings:polls:{name}", kwargs={"meeting_id": meeting.meeting_id, **kwargs})


def vote_data(poll: Poll, single: int = 0, multiple=(0,), text: str = "") -> dict:
    return {
        f"q{question_id(poll, 0)}": str(option_ids(poll, 0)[single]),
        f"q{question_id(poll, 1)}": [str(option_ids(poll, 1)[i]) for i in multiple],
        f"q{question_id(poll, 2)}": text,
    }


# --- preparing ------------------------------------------------------------------------------


def test_the_host_creates_an_anonymous_poll_by_default(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    response = client.post(
        url("manage", meeting=meeting),
        {"title": "Lunch", "kind": "anonymous", "min_count_shown": 3},
    )
    poll = Poll.objects.get(meeting=meeting)
    assert response.status_code == 302
    assert response["Location"] == url("edit", poll)
    assert poll.kind == Poll.Kind.ANONYMOUS


def test_the_poll_form_preselects_anonymous(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    body = client.get(url("manage", meeting=meeting), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="anonymous" required id="id_kind_0" checked>' in body
    assert 'value="named" required id="id_kind_1">' in body


def test_it_refuses_a_secret_ballot_with_live_totals_with_a_message(client):
    meeting = make_meeting()
    client.force_login(meeting.host)
    response = client.post(
        url("manage", meeting=meeting),
        {"title": "Dean", "kind": "secret", "live_results": "on", "min_count_shown": 3},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "A secret ballot shows no totals before it closes." in response.content.decode()
    assert not Poll.objects.exists()


def test_the_host_adds_a_question_with_options(client):
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    response = client.post(
        url("edit", poll),
        {
            "text": "Venue?",
            "type": "single",
            "options": "Room A\nRoom B\n",
            "min_choices": 1,
            "max_choices": 1,
            "max_length": 500,
        },
    )
    assert response.status_code == 302
    question = poll.questions.get(text="Venue?")
    assert list(question.options.values_list("text", flat=True)) == ["Room A", "Room B"]


def test_it_explains_a_question_without_enough_options(client):
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    response = client.post(
        url("edit", poll),
        {
            "text": "Venue?",
            "type": "single",
            "options": "Room A",
            "min_choices": 1,
            "max_choices": 1,
            "max_length": 500,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "at least two options" in response.content.decode()
    assert not poll.questions.filter(text="Venue?").exists()


def test_the_host_removes_a_question_before_launch(client):
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    question = poll.questions.get(position=2)
    response = client.post(url("delete_question", poll, question_pk=question.pk))
    assert response.status_code == 302
    assert not poll.questions.filter(pk=question.pk).exists()


@pytest.mark.parametrize("name", ["manage", "edit", "launch", "close", "export", "delete_question"])
def test_host_pages_answer_404_to_others(client, name):
    poll = make_poll(make_meeting(), launch=False)
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    kwargs = {"question_pk": poll.questions.first().pk} if name == "delete_question" else {}
    target = url(name, None if name == "manage" else poll, meeting=poll.meeting, **kwargs)
    response = (
        client.post(target)
        if name in ("launch", "close", "delete_question")
        else client.get(target)
    )
    assert response.status_code == 404
    poll.refresh_from_db()
    assert poll.status == Poll.Status.DRAFT
    assert poll.questions.count() == 3


def test_a_co_host_with_the_host_permission_may_manage(client, monkeypatch):
    poll = make_poll(make_meeting(), launch=False)
    co_host = make_user()
    monkeypatch.setattr(
        type(co_host),
        "has_perm",
        lambda self, perm, obj=None: perm == "meetings.host_meeting" and obj == poll.meeting,
    )
    client.force_login(co_host)
    assert client.get(url("manage", meeting=poll.meeting)).status_code == 200


@pytest.mark.parametrize("name", ["launch", "close", "delete_question", "vote"])
def test_state_changing_pages_refuse_get(client, name):
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    kwargs = {"question_pk": poll.questions.first().pk} if name == "delete_question" else {}
    assert client.get(url(name, poll, **kwargs)).status_code == 405


# --- launching and closing -------------------------------------------------------------------


def test_the_host_launches_and_closes_a_poll(client):
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    assert client.post(url("launch", poll)).status_code == 302
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN
    assert client.post(url("close", poll)).status_code == 302
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED


def test_it_explains_why_a_poll_cannot_be_launched(client):
    meeting = make_meeting(status="scheduled")
    poll = make_poll(meeting, launch=False)
    client.force_login(meeting.host)
    response = client.post(url("launch", poll), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "only while the meeting is running" in response.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.DRAFT


# --- voting ----------------------------------------------------------------------------------


def test_an_admitted_participant_sees_an_open_poll_with_its_kind_in_the_live_room(client):
    poll = make_poll(make_meeting(), kind="named")
    client.force_login(admit(poll.meeting).user)
    room = reverse("meetings:live_room", kwargs={"meeting_id": poll.meeting.meeting_id})
    body = client.get(room, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="poll-panel"' in body
    assert "meetings/polls.js" in body
    assert 'id="poll-console"' not in body  # the host's controls are for hosts only
    assert "Budget 2027" in body
    assert "Named poll: the host will see who voted what." in body
    assert f'name="q{question_id(poll, 0)}"' in body


def test_a_participant_votes_through_htmx(client):
    poll = make_poll(make_meeting())
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    response = client.post(
        url("vote", poll),
        vote_data(poll, 1, (0, 1), "Good"),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Thank you, your vote was counted." in response.content.decode()
    assert counts(poll)["0:No"] == 1 and counts(poll)["1:Lab"] == 1
    assert PollReceipt.objects.filter(participant=participant).count() == 1


def test_a_guest_votes_with_the_guest_key_of_the_session(client):
    poll = make_poll(make_meeting())
    admit_guest(poll.meeting, "guest-abc")
    session = client.session
    session[guest_session_key(poll.meeting)] = "guest-abc"
    session.save()
    response = client.post(url("vote", poll), vote_data(poll))
    assert response.status_code == 302
    assert counts(poll)["0:Yes"] == 1


@pytest.mark.parametrize(
    "case,message",
    [
        ("twice", "You have already voted in this poll."),
        ("closed", "This poll is closed."),
        ("too_many", "choose at most 2 options"),
        ("foreign_option", "an option does not belong to this question"),
        ("oversized", "longer than 200 characters"),
    ],
)
def test_it_refuses_a_bad_vote_with_a_message_and_no_change(client, case, message):
    poll = make_poll(make_meeting())
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    data = vote_data(poll)
    if case == "twice":
        client.post(url("vote", poll), data)
    elif case == "closed":
        services.close_poll(poll=poll)
    elif case == "too_many":
        data = vote_data(poll, 0, (0, 1, 2))
    elif case == "foreign_option":
        data[f"q{question_id(poll, 0)}"] = str(option_ids(poll, 1)[0])
    elif case == "oversized":
        data = vote_data(poll, text="x" * 201)
    before = counts(poll), PollReceipt.objects.count(), FreeTextAnswer.objects.count()
    response = client.post(
        url("vote", poll), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (counts(poll), PollReceipt.objects.count(), FreeTextAnswer.objects.count()) == before


def test_voting_in_a_poll_of_another_meeting_answers_404(client):
    poll = make_poll(make_meeting())
    other = make_meeting()
    participant = admit(other)
    client.force_login(participant.user)
    assert client.post(url("vote", poll, meeting=other), vote_data(poll)).status_code == 404
    assert client.post(url("vote", poll), vote_data(poll)).status_code == 404
    assert set(counts(poll).values()) == {0}


def test_people_not_admitted_cannot_see_or_vote(client):
    poll = make_poll(make_meeting())
    waiting = admit(poll.meeting)
    waiting.state = "waiting"
    waiting.save()
    client.force_login(waiting.user)
    assert client.get(url("room", meeting=poll.meeting)).status_code == 404
    assert client.get(url("panel", meeting=poll.meeting)).status_code == 404
    assert client.post(url("vote", poll), vote_data(poll)).status_code == 404
    assert set(counts(poll).values()) == {0}


def test_the_panel_loads_in_few_queries(client, django_assert_max_num_queries):
    poll = make_poll(make_meeting())
    make_poll(poll.meeting)
    client.force_login(admit(poll.meeting).user)
    with django_assert_max_num_queries(14):
        assert client.get(url("panel", meeting=poll.meeting)).status_code == 200


# --- results ---------------------------------------------------------------------------------


def test_results_wait_for_the_close_unless_live_totals_were_chosen(client):
    poll = make_poll(make_meeting())
    live = make_poll(poll.meeting, live_results=True, min_count_shown=1)
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    assert client.get(url("results", poll)).status_code == 404
    client.post(url("vote", live), vote_data(live))
    body = client.get(url("results", live), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 vote" in body


def test_the_csv_of_a_named_poll_lists_names_and_of_an_anonymous_poll_none(client):
    named = make_poll(make_meeting(), kind="named")
    anonymous = make_poll(named.meeting, min_count_shown=1)
    voter = admit(named.meeting)
    client.force_login(voter.user)
    client.post(url("vote", named), vote_data(named, text="=cmd()"))
    client.post(url("vote", anonymous), vote_data(anonymous, text="fine"))
    services.close_poll(poll=named)
    services.close_poll(poll=anonymous)
    client.force_login(named.meeting.host)
    named_csv = client.get(url("export", named)).content.decode()
    anonymous_csv = client.get(url("export", anonymous)).content.decode()
    assert voter.display_name in named_csv
    assert "'=cmd()" in named_csv  # no formula for spreadsheets
    assert voter.display_name not in anonymous_csv
    assert "Adopt the budget?,Yes,1" in anonymous_csv
    assert "fine" in anonymous_csv


def test_the_csv_is_not_there_before_the_results_are(client):
    poll = make_poll(make_meeting(), kind="secret")
    client.force_login(poll.meeting.host)
    assert client.get(url("export", poll)).status_code == 404


def test_a_vote_through_htmx_takes_a_bounded_number_of_queries(client, django_assert_num_queries):
    poll = make_poll(make_meeting())
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    data = vote_data(poll, 0, (0,), "ok")
    # poll with its meeting, session, user, participant; questions, options; savepoint, the
    # vote's one statement, release
    with django_assert_num_queries(9):
        response = client.post(url("vote", poll), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert PollReceipt.objects.filter(participant=participant).exists()


def test_a_card_with_live_totals_reloads_itself_after_the_vote(client):
    poll = make_poll(make_meeting(), live_results=True, min_count_shown=1)
    participant = admit(poll.meeting)
    client.force_login(participant.user)
    before = client.get(url("card", poll)).content.decode()
    assert 'hx-trigger="every 5s"' not in before  # the form is not reloaded under the voter
    client.post(url("vote", poll), vote_data(poll))
    after = client.get(url("card", poll), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-trigger="every 5s"' in after
    assert "1 vote" in after


def test_the_card_answers_404_to_people_outside_the_meeting(client):
    poll = make_poll(make_meeting())
    client.force_login(make_user())
    assert client.get(url("card", poll)).status_code == 404


def test_malformed_vote_fields_get_a_message_not_an_error(client):
    poll = make_poll(make_meeting())
    client.force_login(admit(poll.meeting).user)
    data = {"q²": "1", f"q{question_id(poll, 0)}": "9" * 5000}
    response = client.post(
        url("vote", poll), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "The vote contains an invalid choice." in response.content.decode()
    assert set(counts(poll).values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_a_broken_channel_layer_does_not_fail_the_launch(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("channel layer down")

    monkeypatch.setattr(services, "broadcast_to_meeting", broken)
    poll = make_poll(make_meeting(), launch=False)
    client.force_login(poll.meeting.host)
    assert client.post(url("launch", poll)).status_code == 302
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN


# --- the live room ---------------------------------------------------------------------------


def test_the_old_poll_room_address_leads_to_the_live_room(client):
    poll = make_poll(make_meeting())
    client.force_login(admit(poll.meeting).user)
    response = client.get(url("room", meeting=poll.meeting))
    assert response.status_code == 302
    assert response.url == reverse(
        "meetings:live_room", kwargs={"meeting_id": poll.meeting.meeting_id}
    )


def test_poll_addresses_use_the_public_meeting_id_not_the_sequential_key(client):
    poll = make_poll(make_meeting())
    client.force_login(poll.meeting.host)
    assert url("manage", meeting=poll.meeting).startswith(f"/meetings/{poll.meeting.meeting_id}/")
    assert client.get(f"/meetings/{poll.meeting.pk}/polls/").status_code == 404
    assert client.get(url("manage", meeting=poll.meeting)).status_code == 200


def test_the_host_console_of_the_room_launches_and_closes_a_poll(client):
    meeting = make_meeting()
    admit(meeting, meeting.host, is_host=True)
    poll = make_poll(meeting, launch=False)
    client.force_login(meeting.host)
    room = reverse("meetings:live_room", kwargs={"meeting_id": meeting.meeting_id})
    body = client.get(room, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="poll-console"' in body
    assert "Launch “Budget 2027”" in body

    response = client.post(url("launch", poll), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Close “Budget 2027”" in response.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN

    response = client.post(url("close", poll), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert "Results of “Budget 2027”" in response.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED


def test_the_host_console_shows_a_refusal_and_changes_nothing(client):
    meeting = make_meeting()
    poll = make_poll(meeting)
    poll_closed = make_poll(meeting)
    services.close_poll(poll=poll_closed)
    client.force_login(meeting.host)
    response = client.post(
        url("close", poll_closed), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Only an open poll can be closed." in response.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN


def test_only_hosts_load_the_console(client):
    poll = make_poll(make_meeting())
    client.force_login(admit(poll.meeting).user)
    assert client.get(url("console", meeting=poll.meeting)).status_code == 404
    assert client.post(url("console", meeting=poll.meeting)).status_code == 405
    client.force_login(poll.meeting.host)
    response = client.get(url("console", meeting=poll.meeting), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Close “Budget 2027”" in response.content.decode()

"""The admin lists polls read-only and never shows ballots, receipts or answers."""

import pytest
from django.contrib import admin
from django.urls import reverse

from meetings.polls import services
from meetings.polls.models import FreeTextAnswer, NamedBallot, OptionTally, Poll, PollReceipt
from tests.factories import admit, make_meeting, make_poll
from tests.meetings.polls.helpers import option_ids, question_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted_poll():
    poll = make_poll(make_meeting(), kind=Poll.Kind.NAMED)
    voter = admit(poll.meeting)
    services.cast_vote(
        poll=poll,
        participant=voter,
        answers={
            question_id(poll, 0): [str(option_ids(poll, 0)[0])],
            question_id(poll, 1): [str(option_ids(poll, 1)[1])],
            question_id(poll, 2): ["remark only the host may read"],
        },
    )
    services.close_poll(poll=poll)
    return poll, voter


def test_an_admin_sees_polls_with_meeting_kind_state_and_question_count(admin_client, voted_poll):
    poll, _voter = voted_poll
    listing = admin_client.get(reverse("admin:meetings_poll_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    body = listing.content.decode()
    assert listing.status_code == 200
    assert poll.meeting.meeting_id in body
    assert "Budget 2027" in body
    assert str(Poll.Kind.NAMED.label) in body
    assert str(Poll.Status.CLOSED.label) in body
    assert '<td class="field-question_count">3</td>' in body


def test_the_admin_never_shows_ballots_receipts_or_answers(admin_client, voted_poll):
    poll, voter = voted_poll
    for model in (PollReceipt, NamedBallot, FreeTextAnswer, OptionTally):
        assert not admin.site.is_registered(model)
    page = admin_client.get(reverse("admin:meetings_poll_change", args=[poll.pk]))
    listing = admin_client.get(reverse("admin:meetings_poll_changelist"))
    for response in (page, listing):
        assert response.status_code == 200
        body = response.content.decode()
        assert "remark only the host may read" not in body
        assert voter.display_name not in body


def test_nobody_adds_changes_or_deletes_a_poll_in_the_admin(admin_client, voted_poll):
    poll, _voter = voted_poll
    assert admin_client.get(reverse("admin:meetings_poll_add")).status_code == 403
    changed = admin_client.post(
        reverse("admin:meetings_poll_change", args=[poll.pk]), {"title": "Renamed"}
    )
    deleted = admin_client.post(
        reverse("admin:meetings_poll_delete", args=[poll.pk]), {"post": "yes"}
    )
    assert changed.status_code == 403
    assert deleted.status_code == 403
    poll.refresh_from_db()
    assert poll.title == "Budget 2027"


def test_a_user_without_staff_rights_cannot_open_the_poll_list(client, voted_poll):
    poll, voter = voted_poll
    client.force_login(voter.user)
    response = client.get(reverse("admin:meetings_poll_changelist"))
    assert response.status_code == 302
    assert "/login/" in response.url

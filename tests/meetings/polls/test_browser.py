"""A poll launched from the host's console in the live room, answered by several participants
in their own browsers (separate contexts) in the room, and closed: the panels show the poll at
launch and lose it at close, through the room's own websocket.

The room needs websockets, so the portal runs in a real ASGI server (uvicorn in a subprocess,
``tests/meetings/live/asgi_server.py``) against the test database, with Debian's Chromium.
"""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from meetings.polls import services
from meetings.polls.models import FreeTextAnswer, Poll, PollReceipt
from tests.factories import admit, make_meeting, make_user
from tests.meetings.live.asgi_server import start_asgi_server
from tests.meetings.polls.helpers import counts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    running = start_asgi_server()
    yield running
    running.stop()


def room_page(new_page, server, user, meeting):
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    page.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    expect(page.locator("#live-status")).to_have_text("Connected: updates arrive live.")
    return page


def test_a_poll_launched_in_the_room_is_answered_by_several_participants_and_closed(
    server, new_page, settings
):
    settings.LANGUAGE_CODE = "en"
    host = make_user("chair")
    meeting = make_meeting(host)
    admit(meeting, host, is_host=True)
    poll = services.create_poll(meeting=meeting, title="Budget 2027", min_count_shown=1)
    services.add_question(
        poll=poll, text="Adopt the budget?", type="single", options=["Yes", "No", "Abstain"]
    )
    services.add_question(poll=poll, text="Comments", type="text", max_length=200)
    voters = [admit(meeting, make_user(f"member{i}")) for i in range(3)]

    pages = []
    for voter in voters:
        page = room_page(new_page, server, voter.user, meeting)
        expect(page.get_by_text("No poll is open right now.")).to_be_visible()
        expect(page.locator("#poll-console")).to_have_count(0)  # no host controls
        pages.append(page)

    chair = room_page(new_page, server, host, meeting)
    console = chair.locator("#poll-console")
    console.get_by_role("button", name="Launch “Budget 2027”").click()
    expect(console.get_by_role("button", name="Close “Budget 2027”")).to_be_visible()

    choices = ["Yes", "Yes", "No"]
    for page, choice in zip(pages, choices, strict=True):
        card = page.get_by_role("article", name="Budget 2027")
        expect(card).to_be_visible()  # appeared without a reload
        expect(card.get_by_text("Anonymous poll: nobody can see who voted what.")).to_be_visible()
        card.get_by_label(choice, exact=True).check()
        card.get_by_label("Comments").fill(f"note from a {choice} voter")
        card.get_by_role("button", name="Vote").click()
        expect(card.get_by_text("Thank you, your vote was counted.")).to_be_visible()

    # a second vote from the same browser is refused: the form is gone after a reload
    pages[0].reload()
    expect(pages[0].get_by_text("Thank you, your vote was counted.")).to_be_visible()
    expect(pages[0].get_by_role("button", name="Vote")).to_have_count(0)

    console.get_by_role("button", name="Close “Budget 2027”").click()
    expect(console.get_by_role("link", name="Results of “Budget 2027”")).to_be_visible()
    for page in pages:
        expect(page.get_by_role("article", name="Budget 2027")).to_have_count(0)
        expect(page.get_by_text("No poll is open right now.")).to_be_visible()
        expect(page.get_by_role("link", name="Results of “Budget 2027”")).to_be_visible()

    pages[2].get_by_role("link", name="Results of “Budget 2027”").click()
    expect(pages[2].get_by_role("row", name=re.compile(r"^Yes 2$"))).to_be_visible()
    expect(pages[2].get_by_role("row", name=re.compile(r"^No 1$"))).to_be_visible()

    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED
    assert counts(poll) == {"0:Yes": 2, "0:No": 1, "0:Abstain": 0}
    assert PollReceipt.objects.filter(poll=poll).count() == 3
    assert FreeTextAnswer.objects.filter(question__poll=poll).count() == 3

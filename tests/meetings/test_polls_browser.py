"""A poll launched, answered by several participants in their own browsers, and closed.

The room needs websockets, so the portal runs under a real ASGI server (uvicorn in a thread of
the test process, on a free loopback port) against the test database, with Debian's Chromium.
"""

import re
import socket
import threading
import time

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.test import Client
from playwright.sync_api import expect

from meetings.models import FreeTextAnswer, Poll, PollReceipt
from meetings.polls import services
from tests.meetings.poll_helpers import admit, counts, make_meeting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db):
    from portal.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def logged_in_page(new_page, base_url: str, user):
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    return page


def test_participants_see_a_launched_poll_vote_and_see_it_go_at_the_close(asgi_server, new_page):
    host = make_user("chair")
    meeting = make_meeting(host)
    poll = services.create_poll(meeting=meeting, title="Budget 2027", min_count_shown=1)
    services.add_question(
        poll=poll, text="Adopt the budget?", type="single", options=["Yes", "No", "Abstain"]
    )
    services.add_question(poll=poll, text="Comments", type="text", max_length=200)
    voters = [admit(meeting, make_user(f"member{i}")) for i in range(3)]
    room = f"{asgi_server}/meetings/{meeting.pk}/polls/room/"

    pages = []
    for voter in voters:
        page = logged_in_page(new_page, asgi_server, voter.user)
        page.goto(room)
        expect(page.get_by_text("No poll is open right now.")).to_be_visible()
        expect(page.locator("#poll-panel[data-live=connected]")).to_be_attached()
        pages.append(page)

    chair = logged_in_page(new_page, asgi_server, host)
    chair.goto(f"{asgi_server}/meetings/{meeting.pk}/polls/")
    chair.get_by_role("button", name="Launch “Budget 2027”").click()
    expect(chair.get_by_text("The poll is open; participants see it now.")).to_be_visible()

    choices = ["Yes", "Yes", "No"]
    for page, choice in zip(pages, choices, strict=True):
        card = page.get_by_role("article", name="Budget 2027")
        expect(card).to_be_visible(timeout=15_000)  # appeared without a reload
        expect(card.get_by_text("Anonymous poll: nobody can see who voted what.")).to_be_visible()
        card.get_by_label(choice, exact=True).check()
        card.get_by_label("Comments").fill(f"note from a {choice} voter")
        card.get_by_role("button", name="Vote").click()
        expect(card.get_by_text("Thank you, your vote was counted.")).to_be_visible()

    # a second vote from the same browser is refused: the form is gone, the tally unchanged
    pages[0].reload()
    expect(pages[0].get_by_text("Thank you, your vote was counted.")).to_be_visible()
    expect(pages[0].get_by_role("button", name="Vote")).to_have_count(0)

    chair.get_by_role("button", name="Close “Budget 2027”").click()
    expect(chair.get_by_text("The poll is closed.")).to_be_visible()
    for page in pages:
        expect(page.get_by_role("article", name="Budget 2027")).to_have_count(0, timeout=15_000)
        expect(page.get_by_role("link", name="Results of “Budget 2027”")).to_be_visible()

    pages[2].get_by_role("link", name="Results of “Budget 2027”").click()
    expect(pages[2].get_by_role("row", name=re.compile(r"^Yes 2$"))).to_be_visible()
    expect(pages[2].get_by_role("row", name=re.compile(r"^No 1$"))).to_be_visible()

    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED
    assert counts(poll) == {"0:Yes": 2, "0:No": 1, "0:Abstain": 0}
    assert PollReceipt.objects.filter(poll=poll).count() == 3
    assert FreeTextAnswer.objects.filter(question__poll=poll).count() == 3

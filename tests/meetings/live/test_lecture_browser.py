"""The host's waiting list and participant list with 200 waiting, in Chromium: one page at a
time, a name filter, admitting by keyboard and "Admit all"."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from meetings.live import services as services_live
from meetings.live.models import Participant
from tests.factories import make_guest
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    running = start_asgi_server()
    yield running
    running.stop()


def test_the_hosts_lists_stay_usable_with_200_waiting(new_page, server, make_meeting, host):
    meeting = make_meeting(authenticated_only=False, topic="Lecture")
    services_live.host_enters(meeting=meeting, user=host)
    for number in range(200):
        make_guest(meeting, f"Student {number:03d}")
    client = Client()
    client.force_login(host)
    console = new_page()
    console.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    console.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")

    waiting = console.locator("#waiting-list")
    expect(console.locator("#waiting-count")).to_have_text("200")
    expect(waiting.locator("li")).to_have_count(50)  # one page, not 200 rows of buttons
    expect(console.locator("#waiting-list ~ .people-pages .people-range")).to_have_text(
        "1–50 of 200"
    )
    expect(waiting.locator("li").first).to_contain_text("Student 000")  # in order of arrival

    # the next page, by keyboard
    next_page = console.locator("#waiting-list ~ .people-pages button", has_text="Next page")
    next_page.focus()
    console.keyboard.press("Enter")
    expect(waiting.locator("li").first).to_contain_text("Student 050")
    expect(console.locator("#waiting-list ~ .people-pages .people-range")).to_have_text(
        "51–100 of 200"
    )

    # find one person by name and admit them with the keyboard alone
    console.locator("#waiting-list-filter").fill("Student 150")
    expect(waiting.locator("li")).to_have_count(1)
    admit = waiting.get_by_role("button", name="Admit Student 150")
    admit.focus()
    console.keyboard.press("Enter")
    expect(console.locator("#waiting-count")).to_have_text("199")
    expect(waiting).to_contain_text("Nobody here matches")
    expect(console.locator("#roster-count")).to_have_text("2")
    console.locator("#waiting-list-filter").fill("")
    expect(waiting.locator("li")).to_have_count(50)

    console.click("#admit-all")
    expect(console.locator("#waiting-count")).to_have_text("0")
    expect(waiting).to_contain_text("Nobody is waiting")
    expect(console.locator("#roster-count")).to_have_text("201")
    expect(console.locator("#roster li")).to_have_count(50)
    expect(console.locator("#roster ~ .people-pages .people-range")).to_have_text("1–50 of 201")
    expect(console.locator("#chat-to option")).to_have_count(201)  # everyone, the host aside
    assert Participant.objects.filter(meeting=meeting, state="admitted").count() == 201

"""The room across a server restart: what a participant types while the connection is down is
sent once it is back, missed chat is replayed exactly once, and the host sees who dropped."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSCODE
from tests.meetings.live.asgi_server import start_asgi_server
from tests.meetings.live.test_live_browser import join_as_guest, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def restartable(transactional_db):
    servers = [start_asgi_server()]
    yield servers
    servers[-1].stop()


def test_typed_offline_is_sent_after_a_restart_and_the_host_sees_who_dropped(
    new_page, restartable, make_meeting, host
):
    server = restartable[0]
    meeting = make_meeting(authenticated_only=False, topic="Reconnect seminar")
    console = logged_in_page(new_page, server, host)
    console.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    console.click("button:text('Join')")
    expect(console.locator("#live-status")).to_contain_text("Connected")
    zoe = join_as_guest(new_page, server, meeting, "Zoe")
    ben = join_as_guest(new_page, server, meeting, "Ben")
    expect(ben.locator("#live-status")).to_contain_text("Connected")
    console.click("#admit-all")
    for page in (zoe, ben):
        expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
        expect(page.locator("#live-status")).to_contain_text("Connected")

    # Zoe's browser goes away without leaving: the host sees her connection lost
    zoe_row = console.locator("#roster li", has_text="Zoe")
    expect(zoe_row).to_be_visible()
    zoe.close()
    expect(zoe_row.locator(".dropped")).to_contain_text("connection lost")

    # the server restarts (a deploy); Ben writes while it is away
    server.stop()
    expect(ben.locator("#live-status")).to_contain_text("reconnecting")
    ben.fill("#chat-text", "Typed while offline")
    ben.click("#chat-form button[type='submit']")
    expect(ben.locator("#live-status")).to_contain_text("sent once the connection is back")
    restartable.append(start_asgi_server(port=server.port))

    # sent once the socket is back, shown once on both pages; nobody back in the waiting room
    for page in (console, ben):
        expect(page.locator("#live-status")).to_contain_text("Connected")
        expect(page.locator("#chat-log li", has_text="Typed while offline")).to_have_count(1)
    expect(ben.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(console.locator("#roster li", has_text="Zoe").locator(".dropped")).to_be_visible()

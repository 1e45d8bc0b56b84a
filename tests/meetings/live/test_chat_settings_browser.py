"""A room whose host switched the chat off, and one limited to the hosts, in real browsers
against a real ASGI server (Debian's Chromium)."""

import pytest
from playwright.sync_api import expect

from meetings.live.models import ChatMessage
from meetings.scheduling.models import Meeting
from tests.factories import PASSCODE
from tests.meetings.live.test_live_browser import join_as_guest, logged_in_page, server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def host_console(new_page, server, host, meeting):  # noqa: F811
    console = logged_in_page(new_page, server, host)
    console.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    console.click("button:text('Join')")
    expect(console.locator("#live-status")).to_contain_text("Connected")
    return console


def test_a_room_with_the_chat_switched_off_has_no_chat_box(new_page, server, make_meeting, host):  # noqa: F811
    meeting = make_meeting(authenticated_only=False, waiting_room=False, chat=Meeting.Chat.OFF)
    console = host_console(new_page, server, host, meeting)
    guest = join_as_guest(new_page, server, meeting, "Gina")
    expect(guest.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(guest.locator("#live-status")).to_contain_text("Connected")

    for page in (console, guest):
        expect(page.locator("#chat-off")).to_have_text("The host has switched the chat off.")
        expect(page.locator("#chat-form")).to_have_count(0)
    # a crafted frame is refused by the server with the reason, nothing is stored
    guest.evaluate(
        "() => { const ws = new WebSocket(location.origin.replace('http', 'ws') + "
        "document.getElementById('live-root').dataset.socket); "
        "ws.onopen = () => ws.send(JSON.stringify({action: 'chat', text: 'hello'})); "
        "window.refusal = new Promise(r => ws.onmessage = e => { const m = JSON.parse(e.data); "
        "if (m.event === 'error') r(m.payload.code); }); }"
    )
    assert guest.evaluate("() => window.refusal") == "chat_off"
    assert not ChatMessage.objects.exists()


def test_a_participant_writes_only_to_the_hosts_where_chat_is_limited_to_them(
    new_page,
    server,  # noqa: F811
    make_meeting,
    host,
):
    meeting = make_meeting(authenticated_only=False, waiting_room=False, chat=Meeting.Chat.HOSTS)
    console = host_console(new_page, server, host, meeting)
    join_as_guest(new_page, server, meeting, "Olaf")
    guest = join_as_guest(new_page, server, meeting, "Gina")
    expect(guest.locator("#roster li")).to_have_count(3)

    expect(guest.locator("#chat-hosts-only")).to_be_visible()
    options = guest.locator("#chat-to option")
    expect(options).to_have_count(1)  # the host only: not "Everyone", not Olaf
    guest.fill("#chat-text", "a question")
    guest.click("#chat-form button[type=submit]")
    expect(console.locator("#chat-log")).to_contain_text("a question")
    expect(console.locator("#chat-to option").first).to_have_text("Everyone")

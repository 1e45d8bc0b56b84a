"""One host and several participants in separate browsers, against a real ASGI server."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from meetings.live.models import MeetingReport, Participant
from meetings.scheduling.models import Meeting
from tests.factories import PASSCODE
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    running = start_asgi_server()
    yield running
    running.stop()


def logged_in_page(new_page, server, user):
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    return page


def join_as_guest(new_page, server, meeting, name):
    page = new_page()
    page.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    # the passcode came from the fragment, which the server never saw; it leaves the address
    expect(page.locator("#id_passcode")).to_have_value(PASSCODE)
    assert "passcode" not in page.url
    page.fill("#id_display_name", name)
    page.check("#id_age_confirmed")
    page.click("button:text('Join')")
    return page


def test_host_and_guests_run_a_meeting_live(new_page, server, make_meeting, host):
    meeting = make_meeting(authenticated_only=False, topic="Live seminar")

    console = logged_in_page(new_page, server, host)
    console.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    console.click("button:text('Join')")
    expect(console.locator("h2:text('Host controls')")).to_be_visible()
    expect(console.locator(".media-placeholder")).to_be_visible()
    expect(console.locator("#live-status")).to_contain_text("Connected")

    anna = join_as_guest(new_page, server, meeting, "Anna")
    ben = join_as_guest(new_page, server, meeting, "Ben")
    carl = join_as_guest(new_page, server, meeting, "Carl")
    for page in (anna, ben, carl):
        expect(page.locator("#live-root[data-kind='waiting']")).to_be_visible()
        expect(page.locator("#live-status")).to_contain_text("Connected")

    waiting = console.locator("#waiting-list")
    expect(waiting.locator("li")).to_have_count(3)

    # admit one: Anna's waiting page turns into the room without a reload by her
    waiting.locator("li", has_text="Anna").get_by_role("button", name="Admit").click()
    expect(anna.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(anna.locator("#roster")).to_contain_text("Anna")

    # decline Carl: he sees it at once
    waiting.locator("li", has_text="Carl").get_by_role("button", name="Decline").click()
    expect(carl.locator("#live-outcome")).to_contain_text("declined")

    # admit all: Ben comes in; the host's list shows three in the room
    console.click("#admit-all")
    expect(ben.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(console.locator("#roster li")).to_have_count(3)
    expect(console.locator("#waiting-list")).to_contain_text("Nobody is waiting")

    # chat to everyone, then privately to the host; Ben's room page reconnected after his
    # admission, and a message sent before his socket joined the room would never reach him
    expect(anna.locator("#live-status")).to_contain_text("Connected")
    expect(ben.locator("#live-status")).to_contain_text("Connected")
    anna.fill("#chat-text", "Hallo zusammen")
    anna.click("#chat-form button")
    for page in (ben, console, anna):
        expect(page.locator("#chat-log")).to_contain_text("Hallo zusammen")
    expect(ben.locator("#chat-to option")).to_have_count(3)
    ben.select_option("#chat-to", label="Hanna Host")
    ben.fill("#chat-text", "Nur für dich")
    ben.click("#chat-form button")
    expect(console.locator("#chat-log")).to_contain_text("Nur für dich")
    expect(ben.locator("#chat-log")).to_contain_text("Nur für dich")
    # a later message to everyone reaches Anna after the private one would have
    ben.select_option("#chat-to", label="Everyone")
    ben.fill("#chat-text", "Bis gleich")
    ben.click("#chat-form button")
    expect(anna.locator("#chat-log")).to_contain_text("Bis gleich")
    expect(anna.locator("#chat-log")).not_to_contain_text("Nur für dich")
    expect(anna.locator(".chat-notice")).to_contain_text("not stored")

    # remove Anna: the host confirms; she is put out, sees nothing of the room, cannot come back
    asked = []
    console.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    console.locator("#roster li", has_text="Anna").get_by_role("button", name="Remove").click()
    expect(anna).to_have_url(f"{server.url}/meetings/live/removed/")
    expect(anna.locator("h1")).to_have_text("You were removed from the meeting")
    expect(anna.locator("#roster")).to_have_count(0)
    expect(anna.locator("#chat-form")).to_have_count(0)
    assert asked == ["Remove Anna from the meeting? They cannot rejoin it."]
    expect(console.locator("#roster li")).to_have_count(2)
    anna.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    anna.fill("#id_display_name", "Anna")
    anna.check("#id_age_confirmed")
    anna.click("button:text('Join')")
    expect(anna.locator("h1")).to_have_text("You cannot rejoin this meeting")

    # lock: Ben sees it, a newcomer is refused
    console.click("#toggle-lock")
    expect(ben.locator("#lock-state")).to_contain_text("Locked")
    dora = join_as_guest(new_page, server, meeting, "Dora")
    expect(dora.locator("h1")).to_have_text("The meeting is locked")

    # end for everyone: every browser leaves the room
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("#end-meeting")
    for page in (ben, console):
        expect(page).to_have_url(re.compile(r"/meetings/live/ended/$"))
        expect(page.locator("h1")).to_have_text("The meeting has ended")

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ENDED
    report = MeetingReport.objects.get(meeting=meeting)
    assert report.participant_count == 3  # host, Anna, Ben
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_a_wrong_passcode_in_the_browser_shows_the_error_summary(new_page, server, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    page = new_page()
    page.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/")
    page.fill("#id_passcode", "WRONG234")
    page.fill("#id_display_name", "Eve")
    page.check("#id_age_confirmed")
    page.click("button:text('Join')")
    expect(page.locator("#error-summary")).to_contain_text("meeting ID or the passcode")
    assert not Participant.objects.filter(meeting=meeting).exists()

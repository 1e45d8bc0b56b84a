"""The recording inside the live room, in real browsers against a real ASGI server: the
indicator changes live for everyone, and "ask again" prompts the participants it targets."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from meetings.live import services as services_live
from tests.factories import (
    PASSCODE,
    admit,
    decide,
    make_meeting,
    make_user,
    published_text,
    start_recording,
)
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db, settings):
    settings.REDIS_URL = ""  # one server process: its in-process channel layer suffices
    settings.LANGUAGE_CODE = "en"
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


def test_the_room_shows_the_recording_live_and_asks_again(new_page, server):
    host = make_user("host")
    meeting = make_meeting(host, recording_announced=True)
    services_live.host_enters(meeting=meeting, user=host)
    text = published_text()
    anna, ben = make_user("anna"), make_user("ben")
    decide(admit(meeting, anna, name="Anna A."), text)
    admit(meeting, ben, name="Ben B.")

    in_room = logged_in_page(new_page, server, anna)
    in_room.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    ben_room = logged_in_page(new_page, server, ben)
    ben_room.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    indicator = in_room.locator("#room-recording")
    expect(indicator).to_have_attribute("role", "status")
    expect(indicator).to_have_text("Not recording.")
    expect(in_room.locator("#live-status")).to_have_text("Connected: updates arrive live.")
    expect(ben_room.locator("#live-status")).to_have_text("Connected: updates arrive live.")

    # the host's room links the console; the console asks Ben again
    host_room = logged_in_page(new_page, server, host)
    host_room.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    host_room.click("#recording-console-link")
    host_room.get_by_role("button", name="Ask them again").click()
    expect(ben_room.locator("#consent-prompt")).to_be_visible()
    expect(in_room.locator("#consent-prompt")).to_be_hidden()

    # one click on the prompt, one on the consent page
    ben_room.click("#consent-prompt-link")
    ben_room.get_by_role("button", name="I consent").click()
    # a member is sent back to the room, where nothing asks any more
    expect(ben_room.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(ben_room.locator("#consent-prompt")).to_be_hidden()

    host_room.reload()  # the console lists who has consented as of its loading
    host_room.get_by_role("button", name="Start recording").click()
    expect(indicator).to_have_text("Recording: this meeting is being recorded.")
    expect(indicator).to_have_attribute("data-running", "true")

    host_room.get_by_role("button", name="Stop recording").click()
    expect(indicator).to_have_text("Not recording.")


def test_a_guest_without_consent_is_held_while_recording_and_told_why(new_page, server):
    from meetings.live.models import Participant
    from meetings.scheduling.models import Meeting

    host = make_user("host")
    meeting = make_meeting(host, authenticated_only=False, waiting_room=True)
    meeting.set_passcode(PASSCODE)
    meeting.save()
    services_live.host_enters(meeting=meeting, user=host)
    published_text()
    start_recording(meeting, started_by=host)
    host_room = logged_in_page(new_page, server, host)
    host_room.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    expect(host_room.locator("#live-status")).to_have_text("Connected: updates arrive live.")

    guest = new_page()
    guest.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    guest.fill("#id_display_name", "Gina")
    guest.check("#id_age_confirmed")
    guest.click("button:text('Join')")
    expect(guest.locator("#live-status")).to_have_text("Connected: updates arrive live.")
    # the waiting page states the planned recording's consent at once, and why one waits
    expect(guest.locator("#recording-held")).to_be_visible()

    host_room.click("#admit-all")

    expect(host_room.locator("#admission-held")).to_have_text(
        "Waiting for consent to the recording: Gina"
    )
    assert Participant.objects.get(display_name="Gina").state == Participant.State.WAITING
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.RUNNING

    # one click to the consent page, one to consent; then the host admits
    guest.click("#recording-held-link")
    guest.get_by_role("button", name="I consent").click()
    expect(guest.locator("#consent-current")).to_contain_text("You have consented.")
    guest.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    expect(guest.locator("#live-status")).to_have_text("Connected: updates arrive live.")
    host_room.click("#admit-all")
    expect(guest.locator("#room-recording")).to_have_text(
        "Recording: this meeting is being recorded."
    )

"""The room's media in Firefox (Debian's Firefox ESR, driven through WebDriver BiDi): a member
in Firefox and the host in Chromium receive each other's video through Janus, and the member
reaches the microphone and camera buttons with Tab and mutes and switches off with them."""

import os

import pytest
from django.test import Client
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.live import services as services_live
from meetings.live.models import Participant
from tests.factories import admit, make_meeting, make_user
from tests.firefox import Firefox, firefox_installed
from tests.meetings.live.test_media_browser import MEDIA, media_server, wait_for_frames

pytestmark = [
    pytest.mark.browser,
    pytest.mark.janus,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not firefox_installed() and not os.environ.get("CI"),
        reason="needs Debian's Firefox ESR (scripts/bootstrap --with-browser)",
    ),
]
__all__ = ["media_server"]  # the fixture, used below
TAB = "\ue004"


@pytest.fixture
def firefox():
    browser = Firefox()
    yield browser
    browser.close()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def focus_with_tab(browser: Firefox, element_id: str, limit: int = 120) -> None:
    """Press Tab until ``element_id`` has the focus (keyboard only, as a person would)."""
    for _ in range(limit):
        if browser.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        browser.press(TAB)
    raise AssertionError(f"#{element_id} was never reached with Tab")


def test_firefox_and_chromium_see_each_other_and_firefox_works_by_keyboard(
    new_page, media_server, firefox
):
    host = make_user("host", first_name="Hanna")
    meeting = make_meeting(host)
    services_live.host_enters(meeting=meeting, user=host)
    anna = admit(meeting, make_user("anna", first_name="Anna"), name="Anna", admitted_at=now())
    host_feed = str(Participant.objects.get(meeting=meeting, user=host).pk)
    room = f"{media_server.url}/meetings/live/{meeting.meeting_id}/"

    console = new_page(permissions=MEDIA)
    console.context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(host), "url": media_server.url}]
    )
    console.goto(room)
    expect(console.locator("#media-grid")).to_be_visible()

    firefox.set_cookie("sessionid", session_cookie(anna.user), "127.0.0.1")
    firefox.goto(room)
    assert "Firefox" in firefox.evaluate("navigator.userAgent")
    firefox.wait_for("document.querySelector('#live-status').textContent.includes('Connected')")

    # each receives the other's video: decoded frames rising
    wait_for_frames(console, {str(anna.pk)})
    firefox.wait_for(f"window.portalMedia.framesDecoded().then(f => (f[{host_feed!r}] || 0) > 10)")
    first = firefox.evaluate("window.portalMedia.framesDecoded()")[host_feed]
    firefox.wait_for(f"window.portalMedia.framesDecoded().then(f => f[{host_feed!r}] > {first})")

    # keyboard only: Tab reaches the microphone and the camera button (native buttons, in the
    # order a person meets them); the focused button is then activated as Enter or Space would
    # (Firefox ignores the keys WebDriver BiDi synthesises for activation in a headless
    # window, though it moves the focus with them; Chromium's test presses the keys)
    focus_with_tab(firefox, "media-mic")
    firefox.evaluate("document.activeElement.click()")
    pressed = "document.getElementById('media-mic').getAttribute('aria-pressed')"
    assert firefox.evaluate(pressed) == "true"
    tile_state = console.locator(f".tile[data-feed='{anna.pk}'] .tile-state")
    expect(tile_state).to_contain_text("muted")
    focus_with_tab(firefox, "media-cam")
    firefox.evaluate("document.activeElement.click()")
    assert firefox.evaluate("window.portalMedia.local()") == {
        "audio": False,
        "video": False,
        "screen": False,
    }
    expect(tile_state).to_contain_text("camera off")

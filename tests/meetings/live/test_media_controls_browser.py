"""The media controls in Chromium against a real Janus: keyboard only, a participant without a
camera, screen sharing, and a network drop that reconnects without the waiting room.

Firefox is not driven here: Playwright needs its own Firefox build, which is not downloaded
(README.md, "Browsers").
"""

import pytest
from django.test import Client
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.live import services as services_live
from meetings.live.models import Participant
from tests.conftest import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import admit, make_meeting, make_user
from tests.meetings.live.asgi_server import start_asgi_server
from tests.meetings.live.test_media_browser import MEDIA, frames, wait_for_frames

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_server(transactional_db, janus, settings):
    settings.LANGUAGE_CODE = "en"
    running = start_asgi_server(env={**janus.env(), "REDIS_URL": "", "LANGUAGE_CODE": "en"})
    yield running
    running.stop()


def in_room(new_page, server, user, meeting):
    client = Client()
    client.force_login(user)
    page = new_page(permissions=MEDIA)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
    )
    page.goto(f"{server.url}/meetings/live/{meeting.meeting_id}/")
    expect(page.locator("#media-grid")).to_be_visible()
    return page


@pytest.fixture
def room(media_server):
    host = make_user("host", first_name="Hanna")
    meeting = make_meeting(host)
    services_live.host_enters(meeting=meeting, user=host)
    anna = admit(meeting, make_user("anna"), name="Anna A.", admitted_at=now())
    host_feed = str(Participant.objects.get(meeting=meeting, user=host).pk)
    return meeting, host, host_feed, anna


@pytest.fixture
def strict_page(browser):
    """Pages of a Chromium that really asks for camera and microphone (no fake prompt) and
    where only the microphone is granted."""
    args = [arg for arg in CHROMIUM_ARGS if arg != "--use-fake-ui-for-media-stream"]
    strict = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)

    def make(permissions=None):
        context = strict.new_context(locale="en-GB", permissions=["microphone"])
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        return context.new_page()

    yield make
    strict.close()


def local_state(page) -> dict:
    return page.evaluate("window.portalMedia.local()")


def tab_to(page, element_id: str, *, limit: int = 40) -> None:
    """Press Tab until ``element_id`` has the focus (it must be reachable by Tab alone)."""
    for _press in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_every_media_control_works_with_the_keyboard_alone(new_page, media_server, room):
    meeting, host, host_feed, anna = room
    page = in_room(new_page, media_server, anna.user, meeting)
    in_room(new_page, media_server, host, meeting)
    expect(page.locator("#media-status")).to_have_text("Audio and video connected.")
    page.wait_for_function("window.portalMedia.local().audio && window.portalMedia.local().video")

    # visible labels: the buttons' text and the selects' <label>s give the accessible names
    for name in ("Mute microphone", "Turn camera off", "Share screen"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    for name in ("Microphone", "Camera"):
        expect(page.get_by_role("combobox", name=name)).to_be_visible()
        expect(page.locator(f"label:text-is('{name}')")).to_be_visible()

    page.locator("body").focus()
    tab_to(page, "media-mic")
    page.keyboard.press("Enter")
    expect(page.locator("#media-mic")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#media-mic")).to_have_text("Unmute microphone")
    assert local_state(page)["audio"] is False

    tab_to(page, "media-cam")
    page.keyboard.press("Space")
    expect(page.locator("#media-cam")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#media-cam")).to_have_text("Turn camera on")
    assert local_state(page)["video"] is False

    tab_to(page, "media-screen")
    page.keyboard.press("Enter")
    expect(page.locator("#media-screen")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#media-screen")).to_have_attribute("aria-pressed", "false")

    # device selection: reachable by Tab, changed with the arrow keys
    tab_to(page, "media-mic-select")
    options = page.locator("#media-mic-select option")
    expect(options.first).to_be_attached()
    if options.count() > 1:
        before = page.locator("#media-mic-select").input_value()
        page.keyboard.press("ArrowDown")
        expect(page.locator("#media-mic-select")).not_to_have_value(before)
    tab_to(page, "media-cam-select")
    expect(page.locator("#media-cam-select")).to_be_enabled()
    expect(page.locator("#media-status")).not_to_have_text("This device could not be used.")


def test_a_participant_without_camera_access_still_receives_and_is_told_how(
    new_page, strict_page, media_server, room
):
    meeting, host, host_feed, anna = room
    in_room(new_page, media_server, host, meeting)
    # Anna's browser asks before it gives the camera, and the answer is no: a Chromium whose
    # permission prompt is not faked (headless denies what the context did not grant)
    page = in_room(strict_page, media_server, anna.user, meeting)
    wait_for_frames(page, {host_feed})  # she still sees the host

    warning = page.locator("#media-permission")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("allow camera and microphone for this site")
    expect(page.locator("#media-cam")).to_have_attribute("aria-pressed", "true")


def test_screen_sharing_replaces_the_camera_for_the_others(new_page, media_server, room):
    meeting, host, host_feed, anna = room
    host_page = in_room(new_page, media_server, host, meeting)
    page = in_room(new_page, media_server, anna.user, meeting)
    wait_for_frames(host_page, {str(anna.pk)})
    camera = page.evaluate(
        "window.portalMedia.localVideo()"
    )  # the fake camera's label before sharing

    page.click("#media-screen")
    expect(page.locator("#media-screen")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#media-screen")).to_have_text("Stop sharing the screen")
    shared = page.evaluate("window.portalMedia.localVideo()")
    assert shared["label"] != camera["label"] and shared["displaySurface"]
    # the others see the screen on Anna's tile: new frames keep arriving, marked "sharing"
    tile = host_page.locator(f".tile[data-feed='{anna.pk}']")
    expect(tile.locator(".tile-state")).to_contain_text("sharing the screen")
    before = frames(host_page)[str(anna.pk)]
    wait_for_frames(host_page, {str(anna.pk)}, above=before + 10)

    page.click("#media-screen")
    expect(page.locator("#media-screen")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.portalMedia.localVideo()")["label"] == camera["label"]


def test_a_network_drop_reconnects_without_the_waiting_room(new_page, media_server, room):
    meeting, host, host_feed, anna = room
    host_page = in_room(new_page, media_server, host, meeting)
    page = in_room(new_page, media_server, anna.user, meeting)
    wait_for_frames(host_page, {str(anna.pk)})
    wait_for_frames(page, {host_feed})

    page.context.set_offline(True)
    expect(page.locator("#media-status")).to_have_text(
        "Audio and video interrupted, reconnecting…", timeout=60_000
    )
    page.context.set_offline(False)
    expect(page.locator("#media-status")).to_have_text("Audio and video connected.", timeout=60_000)

    # still in the room (never the waiting page), media flow both ways again
    expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
    assert Participant.objects.get(pk=anna.pk).state == Participant.State.ADMITTED
    wait_for_frames(page, {host_feed}, timeout=30)
    seen = frames(host_page).get(str(anna.pk), 0)
    wait_for_frames(host_page, {str(anna.pk)}, above=seen + 10, timeout=30)

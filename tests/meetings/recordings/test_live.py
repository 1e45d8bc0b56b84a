"""The live recording indicator in a real browser against a real ASGI server.

The server runs in its own process (uvicorn) on a free loopback port against the test
database (PostgreSQL, or SQLite's test database file). Host and participant click in two
browser contexts.
"""

import pytest
from django.test import Client

from tests.factories import admit, decide, make_meeting, make_user, published_text, start_recording
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db, settings):
    # host and participant reach this one process: its in-process channel layer suffices and
    # keeps parallel test workers (whose meetings share primary keys) from hearing each other
    settings.REDIS_URL = ""
    running = start_asgi_server()
    yield running.url
    running.stop()


def logged_in_page(new_page, base_url, user):
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    return page


def test_everyone_sees_the_recording_indicator_live(new_page, asgi_server):
    host = make_user("host")
    meeting = make_meeting(host, recording_announced=True)
    anna = make_user("anna")
    decide(admit(meeting, anna, name="Anna A."), published_text())

    participant = logged_in_page(new_page, asgi_server, anna)
    participant.goto(f"{asgi_server}/meetings/{meeting.meeting_id}/recording/")
    participant.wait_for_selector("#recording-status[data-connected='true']")
    assert participant.locator("#recording-off").is_visible()
    assert participant.locator("#recording-on").is_hidden()

    console = logged_in_page(new_page, asgi_server, host)
    console.goto(f"{asgi_server}/meetings/{meeting.meeting_id}/recording/console/")
    console.get_by_role("button", name="Start recording").click()
    console.get_by_role("button", name="Stop recording").wait_for()

    participant.locator("#recording-on").wait_for(state="visible")
    assert participant.locator("#recording-off").is_hidden()
    assert meeting.recording_sessions.get().is_running

    console.get_by_role("button", name="Stop recording").click()
    participant.locator("#recording-on").wait_for(state="hidden")
    assert participant.locator("#recording-off").is_visible()


def test_a_late_browser_sees_a_running_recording_at_once(new_page, asgi_server):

    host = make_user("host")
    meeting = make_meeting(host, recording_announced=True)
    anna = make_user("anna")
    decide(admit(meeting, anna, name="Anna A."), published_text())
    # running state as start_recording leaves it (its broadcast needs no browser here)
    start_recording(meeting, started_by=host)

    participant = logged_in_page(new_page, asgi_server, anna)
    participant.goto(f"{asgi_server}/meetings/{meeting.meeting_id}/recording/")
    participant.wait_for_selector("#recording-status[data-running='true']")
    assert participant.locator("#recording-on").is_visible()


def test_a_stranger_gets_no_indicator_socket(new_page, asgi_server):
    meeting = make_meeting(make_user("host"), recording_announced=True)
    page = logged_in_page(new_page, asgi_server, make_user("stranger"))
    response = page.goto(f"{asgi_server}/meetings/{meeting.meeting_id}/recording/")
    assert response.status == 404

"""TURN carries the media: with ``MEDIA_ICE_TRANSPORT_POLICY=relay`` the browsers may use only
relay candidates from coturn (Debian's ``turnserver``, credentials from ``TURN_SECRET``), and
Janus accepts the relayed streams: frames are decoded and every selected pair is a relay.

Janus runs on a test host of its own (a network namespace, ``tests/netns.py``): coturn relays
from this machine's end of the pair to Janus' address there, as it would relay to a media
server on the institution's network."""

import os

import pytest
from django.test import Client
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.live import services as services_live
from meetings.live.models import Participant
from tests import netns
from tests.factories import admit, make_meeting, make_user
from tests.janus_process import janus_installed, start_janus
from tests.meetings.live.asgi_server import start_asgi_server
from tests.meetings.live.test_media_browser import MEDIA, wait_for_frames
from tests.turn_process import start_turnserver, turnserver_installed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.janus,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (turnserver_installed() and janus_installed()) and not os.environ.get("CI"),
        reason="needs Debian's coturn and Janus (scripts/bootstrap --with-browser)",
    ),
    pytest.mark.skipif(
        not netns.available() and not os.environ.get("CI"),
        reason="needs the right to create a network namespace (root)",
    ),
]


@pytest.fixture
def test_host():
    with netns.test_host() as host:
        yield host


@pytest.fixture
def janus(test_host, settings):
    running = start_janus(
        netns=test_host.name, listen_ip=test_host.ns_ip, ice_interface=test_host.ns_interface
    )
    settings.MEETINGS_BACKEND = "meetings.backends.janus.JanusBackend"
    settings.JANUS_SERVERS = [
        {"api": running.api_url, "admin": running.admin_url, "public": running.api_url}
    ]
    settings.JANUS_API_SECRET = running.api_secret
    settings.JANUS_ADMIN_SECRET = running.admin_secret
    settings.JANUS_ROOM_KEY = running.room_key
    settings.JANUS_RECORDINGS_DIR = running.recordings_dir
    yield running
    running.stop()


@pytest.fixture
def turn(test_host):
    running = start_turnserver(relay_ip=test_host.host_ip)
    yield running
    running.stop()


@pytest.fixture
def relay_server(transactional_db, janus, turn, settings):
    settings.LANGUAGE_CODE = "en"
    running = start_asgi_server(
        env={
            **janus.env(),
            **turn.env(),
            "MEDIA_ICE_TRANSPORT_POLICY": "relay",
            "REDIS_URL": "",
            "LANGUAGE_CODE": "en",
        }
    )
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


def test_media_flow_through_coturn_only(new_page, relay_server, turn):
    host = make_user("host", first_name="Hanna")
    meeting = make_meeting(host)
    services_live.host_enters(meeting=meeting, user=host)
    anna = admit(meeting, make_user("anna"), name="Anna A.", admitted_at=now())
    host_feed = str(Participant.objects.get(meeting=meeting, user=host).pk)

    host_page = in_room(new_page, relay_server, host, meeting)
    anna_page = in_room(new_page, relay_server, anna.user, meeting)
    config = host_page.evaluate("JSON.parse(document.getElementById('media-config').textContent)")
    assert config["ice_transport_policy"] == "relay"
    assert config["ice_servers"][0]["urls"] == [turn.url]

    wait_for_frames(host_page, {str(anna.pk)})
    wait_for_frames(anna_page, {host_feed})
    for page in (host_page, anna_page):
        pairs = page.evaluate("window.portalMedia.candidateTypes()")
        assert len(pairs) == 2  # own feed and the other's
        assert all(pair["local"] == "relay" for pair in pairs), pairs
        assert all(pair["relayProtocol"] == "udp" for pair in pairs), pairs

"""Several Janus servers: each room goes to the least-loaded healthy server and stays there;
a server that stops answering gets no new rooms."""

import os

import pytest
from django.core.cache import cache

from meetings.backends import get_backend
from meetings.backends.models import JanusRoom
from tests.janus_process import start_janus
from tests.meetings.live.conftest import (  # noqa: F401 (the live room's fixtures)
    _english,
    host,
    licences,
    make_meeting_fixture,
)

pytestmark = [pytest.mark.janus, pytest.mark.django_db]


@pytest.fixture
def second_janus(janus, settings):
    other = start_janus(rtp_base=21000 + (os.getpid() % 40) * 1000 + 500)
    settings.JANUS_SERVERS = [
        *settings.JANUS_SERVERS,
        {"api": other.api_url, "admin": other.admin_url, "public": other.api_url},
    ]
    yield other
    other.stop()


def test_two_servers_share_rooms_by_load_and_a_silent_one_gets_none(
    janus, second_janus, make_meeting
):
    backend = get_backend()
    meetings = [make_meeting(authenticated_only=False) for _ in range(4)]
    for meeting in meetings[:2]:
        backend.create_room(meeting=meeting)
    placed = [JanusRoom.objects.get(meeting=m).server for m in meetings[:2]]
    assert sorted(placed) == sorted([janus.api_url, second_janus.api_url])

    # a room stays where it is, however often it is asked for
    backend.create_room(meeting=meetings[0])
    assert JanusRoom.objects.get(meeting=meetings[0]).server == placed[0]

    # the second server stops answering: new rooms go to the first only
    second_janus.stop()
    cache.clear()  # forget the remembered health
    for meeting in meetings[2:]:
        backend.create_room(meeting=meeting)
        assert JanusRoom.objects.get(meeting=meeting).server == janus.api_url
